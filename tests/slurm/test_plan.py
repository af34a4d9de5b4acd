"""Group sizes from the node a user states, and the watch's decisions on squeue's output (no cluster)."""

from __future__ import annotations

import pytest

from radiodeep.cluster import SlurmWatch, never_starts, parse_squeue, plan_slurm
from radiodeep.errors import RadiodeepError


@pytest.mark.parametrize(("cpus", "mem_mb", "expected"), [
    (2, 21000, (2, 2, 10)),      # the node: 2 CPUs; 10 cases, 2 side by side (the old profile asked for 10 CPUs, 20 GB)
    (8, 32000, (8, 8, 8)),       # the profile's example node: one round of 8
    (64, 5000, (2, 2, 10)),      # memory-bound: 2 cases of 2,000 MB
    (64, 512000, (10, 10, 10)),  # a big node: the whole group at once
    (3, 100000, (3, 3, 9)),      # whole rounds: 3 x 3
])
def test_plan_fits_the_node(cpus, mem_mb, expected):
    plan = plan_slurm(cpus, mem_mb)
    assert (plan.cores, plan.cases_in_parallel, plan.cases_per_group) == expected
    assert plan.cores <= cpus and plan.cases_in_parallel * 2000 <= mem_mb
    assert plan.group_components == [f"case={expected[2]}"]


def test_plan_rejects_a_node_too_small_or_a_bad_key():
    with pytest.raises(RadiodeepError, match="one case needs 1 CPU.* and 2000 MB but a node has 1 CPU.* and 1500 MB"):
        plan_slurm(1, 1500)
    with pytest.raises(RadiodeepError, match="NODE_CPUS must be a positive whole number, not '8'"):
        plan_slurm("8", 32000)


SQUEUE = """\
11|PartitionConfig|10|20G|debug|rule_group_case_ingest_preprocess|/data/study
12|Resources|2|4000M|debug|rule_features|/data/study
13|Resources|4|4000M|debug|rule_model|/data/study
14|Priority|2|64G|debug|rule_embed|/data/study
15|PartitionConfig|10|20G|debug|(null)|/data/other
16|QOSMaxCpuPerJobLimit|2|1G|debug|rule_x|/data/study
"""


def test_watch_cancels_only_what_never_starts_in_this_run():
    calls = []

    def run(cmd):
        calls.append(cmd)
        return {"squeue": SQUEUE, "sinfo": "2 21694\n", "scancel": ""}[cmd[0]]

    reports = []
    watch = SlurmWatch("/data/study", report=reports.append, run=run)
    messages = watch.check()
    # PartitionConfig; more CPUs than any node (4 > 2) or more memory (64 G > 21,694 MB) while
    # 'Resources'/'Priority'; a per-job QOS limit. Job 12 fits and waits; job 15 is another run's.
    assert watch.cancelled == {"11": "PartitionConfig", "13": "Resources", "14": "Priority", "16": "QOSMaxCpuPerJobLimit"}
    assert [c for c in calls if c[0] == "scancel"] == [["scancel", j] for j in ("11", "13", "14", "16")]
    assert messages == reports and len(messages) == 4
    assert messages[0].startswith("SLURM job 11 (rule_group_case_ingest_preprocess) cannot be scheduled: reason "
                                  "PartitionConfig; it asks for 10 CPUs and 20480 MB, the largest node of partition "
                                  "debug has 2 CPUs, 21694 MB.")
    assert watch.check() == []  # already cancelled: reported once
    assert sum(c[0] == "sinfo" for c in calls) == 1  # node sizes asked once per partition


def test_never_starts_keeps_waiting_jobs():
    job = parse_squeue("7|Resources|2|2000M|debug|rule_a|/w\n")[0]
    assert (job.cpus, job.mem_mb) == (2, 2000)
    assert never_starts(job, [(2, 4000)]) is None
    assert never_starts(job, []) is None  # partition sizes unknown: do not guess
    assert never_starts(job, [(1, 4000), (1, 8000)]) == "Resources"
