"""The workflow on a real one-node SLURM cluster, through the project's SLURM profile.

A session fixture starts munged, slurmctld and slurmd (``setup_cluster.sh``; installs the Debian
packages when missing and running as root) and stops exactly those daemons afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from radiodeep.cluster import parse_mem_mb, plan_slurm
from radiodeep.radiomics.batches import even_batches, planned_batch_size
from tests.conftest import LIGHT_STAGES, REPO, copy_demo_subset

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

HERE = Path(__file__).resolve().parent
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)")
STUDY = {**LIGHT_STAGES, "model": {"folds": 2, "repeats": 1, "inner_folds": 2, "feature_sets": ["handcrafted"], "permutations": 3}, "evaluate": {"n_bootstrap": 100}}


@dataclass
class Cluster:
    state: Path
    env: dict
    cpus: int
    mem_mb: int

    def jobs(self) -> dict[str, str]:
        """SLURM job id -> state of every job the controller still knows (MinJobAge)."""
        out = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i %T"], env=self.env,
                             capture_output=True, text=True, check=True).stdout
        return dict(line.split() for line in out.splitlines())


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    pytest.importorskip("snakemake_executor_plugin_slurm")
    if os.geteuid() != 0:
        pytest.skip("the test cluster runs its daemons as root (CI runs as root)")
    if shutil.which("sbatch") is None and shutil.which("apt-get") is None:
        pytest.skip("SLURM is not installed and apt-get is not available to install it")
    state = tmp_path_factory.mktemp("slurm")
    teardown = ["bash", str(HERE / "teardown_cluster.sh"), str(state)]
    proc = subprocess.run(["bash", str(HERE / "setup_cluster.sh"), str(state)],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        subprocess.run(teardown)
        pytest.fail(f"SLURM cluster did not start ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    pids = [int(line.split()[1]) for line in (state / "pids").read_text().splitlines()]
    env = dict(os.environ, SLURM_CONF=str(state / "slurm.conf"),
               PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    info = subprocess.run(["sinfo", "-h", "-o", "%c %m"], env=env, capture_output=True, text=True).stdout.split()
    yield Cluster(state, env, int(info[0]), int(info[1]))
    subprocess.run(teardown, check=True)
    alive = [pid for pid in pids if Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    assert not alive, f"daemons still running after teardown: {alive}"


def snakemake(work: Path, *args: str, targets: list[str] = (), env: dict | None = None,
              timeout: int = 400) -> subprocess.CompletedProcess:
    # targets first: options such as --configfile and --group-components take several values
    cmd = [sys.executable, "-m", "snakemake", *targets, "-s", str(REPO / "Snakefile"), "--directory", str(work),
           "--configfile", str(work / "study.yaml"), *args]
    env = env or dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    return subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)


def make_study(work: Path, n_pos: int, n_neg: int) -> pd.DataFrame:
    """A demo subset with n_pos positive and n_neg negative cases, and a tiny model config."""
    copy_demo_subset(work / "cohort", 3 * max(n_pos, n_neg))
    manifest = pd.read_csv(work / "cohort" / "manifest.csv")
    manifest = pd.concat([manifest[manifest.label == 1].head(n_pos), manifest[manifest.label == 0].head(n_neg)])
    manifest.sort_values("case_id").to_csv(work / "cohort" / "manifest.csv", index=False)
    (work / "study.yaml").write_text(yaml.safe_dump({"manifest": str(work / "cohort" / "manifest.csv"), **STUDY}))
    return manifest


def node_profile(folder: Path, cpus: int, mem_mb: int, cases_per_group: int | None = None) -> Path:
    """The project's SLURM profile with NODE_CPUS and NODE_MEM_MB (and CASES_PER_GROUP) stated as a user would."""
    text = (REPO / "workflow" / "profiles" / "slurm" / "config.yaml").read_text()
    if cases_per_group:
        text = re.sub(r"CASES_PER_GROUP = \d+", f"CASES_PER_GROUP = {cases_per_group}", text, count=1)
    text, n_cpus = re.subn(r"NODE_CPUS = \d+", f"NODE_CPUS = {cpus}", text, count=1)
    text, n_mem = re.subn(r"NODE_MEM_MB = \d+", f"NODE_MEM_MB = {mem_mb}", text, count=1)
    assert n_cpus == n_mem == 1, "the profile no longer states NODE_CPUS / NODE_MEM_MB"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(text)
    return folder


def slurm_args(cluster: Cluster, *extra: str, chunk: int | None = 2, profile: Path | None = None) -> list[str]:
    # The project's profile stating this node; only the polling delay (and, where a test
    # needs it, the chunk size) differ, so that the test takes seconds rather than minutes per job.
    profile = profile or node_profile(cluster.state / "profile", cluster.cpus, cluster.mem_mb)
    chunk_args = ["--group-components", f"case={min(chunk, cluster.cpus)}"] if chunk else []
    return ["--workflow-profile", str(profile), "--slurm-init-seconds-before-status-checks", "2",
            "--slurm-keep-successful-logs", *chunk_args, *extra]


def job_request(cluster: Cluster, job_id: str) -> tuple[int, int]:
    """CPUs and memory (MB) that a job asked SLURM for (the controller keeps ended jobs for MinJobAge)."""
    out = subprocess.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%C %m"], env=cluster.env,
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), parse_mem_mb(out[1])


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same 6-case study run locally and on SLURM."""
    local, remote = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("slurm_run")
    for work in (local, remote):
        make_study(work, n_pos=2, n_neg=4)
    proc = snakemake(local, "--workflow-profile", str(REPO / "workflow" / "profiles" / "local"), "--cores", "2")
    assert proc.returncode == 0, proc.stderr[-5000:]
    start = time.monotonic()
    proc = snakemake(remote, *slurm_args(cluster), env=cluster.env)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return local, remote, proc.stderr, seconds


def batch_counts(cluster: Cluster, n_cases: int, study: dict, cases_per_group: int = 10) -> tuple[int, int]:
    """Ingest (= preprocess) and radiomics batch jobs of an n-case study on this node (ingest.smk, radiomics.smk)."""
    cores = min(plan_slurm(cluster.cpus, cluster.mem_mb, cases_per_group=cases_per_group).cores, os.cpu_count())
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    sizes = [planned_batch_size(study.get(stage, {}).get("batch_size", config[stage]["batch_size"]), n_cases, cores, cluster=True)
             for stage in ("ingest", "radiomics")]
    return tuple(len(even_batches(list(range(n_cases)), size, cores)) for size in sizes)


def test_every_job_went_through_slurm(cluster, runs):
    _, remote, log, seconds = runs
    submitted = dict(SUBMITTED.findall(log))
    chunk = min(2, cluster.cpus)
    n_ingest, n_radiomics = batch_counts(cluster, 6, STUDY)
    assert n_ingest >= chunk, "the study no longer has a group of several ingest batches"
    # The ingest batches in groups of `chunk` (group 'case'), the plan, one job per preprocess
    # batch, preprocess_qc, the radiomics batches, one cohort job, and 9 short report jobs
    # (ingest_qc, excluded_cases, provenance_table, 5 report pages, the results page).
    n_groups = -(-n_ingest // chunk)
    assert len(submitted) == n_groups + 1 + n_ingest + 1 + n_radiomics + 1 + 9, log[-3000:]
    states = cluster.jobs()
    assert {job_id: states.get(job_id) for job_id in submitted} == dict.fromkeys(submitted, "COMPLETED")
    groups = sorted(Path(path).parent.name for path in submitted.values())
    assert groups.count("group_cohort_evaluate_features_model_provenance") == 1
    case_groups = [g for g in groups if g.startswith("group_case_")]
    assert len(case_groups) == n_groups, groups
    # each group job's folder names its ingest batches: every batch ran once, `chunk` per job
    batches = sorted(b for g in case_groups for b in re.findall(r"ingest_\d+", g))
    assert batches == sorted(f"ingest_{i}" for i in range(1, n_ingest + 1)), groups
    assert max(len(re.findall(r"ingest_\d+", g)) for g in case_groups) == chunk, groups
    singles = [g for g in groups if not g.startswith("group_")]
    # a single job's log folder is rule_<rule>, or the wildcard's value for the report pages
    assert sorted(singles) == sorted([
        "rule_plan", "rule_preprocess_qc", *(f"rule_preprocess_{i}" for i in range(1, n_ingest + 1)),
        *(f"rule_radiomics_{i}" for i in range(1, n_radiomics + 1)), "rule_ingest_qc", "rule_excluded_cases",
        "rule_provenance_table", "metrics", "excluded_cases", "provenance", "delong", "ingest_qc", "rule_summary"]), groups
    for job_id, path in submitted.items():  # each job's own SLURM output: Snakemake ran inside it
        assert Path(path).name == f"{job_id}.log"
        assert "Finished jobid" in Path(path).read_text()
    # one batch record per ingest and preprocess job, together covering the 6 cases
    for stage in ("ingest", "preprocess"):
        records = sorted((remote / "results" / stage / "batches").glob("*.json"))
        assert [p.stem for p in records] == sorted(f"{stage}_{i}" for i in range(1, n_ingest + 1))
        cases = [c for p in records for c, entry in json.loads(p.read_text())["cases"].items() if entry["status"] == "ok"]
        assert len(cases) == len(set(cases)) == 6, stage
    # Every step (the ingest and preprocess batches, the plan, preprocess_qc, the radiomics
    # batches, the 13 cohort steps: provenance, ingest_qc, features, model, evaluate,
    # excluded_cases, provenance_table, 5 report tables, summary) plus 'all' ran, none locally.
    steps = 2 * n_ingest + 2 + n_radiomics + 13 + 1
    assert f"{steps} of {steps} steps (100%) done" in log
    assert "localrule" not in log.replace("localrule all", "")
    print(f"SLURM run: {len(submitted)} SLURM jobs, {seconds:.0f} s")


def test_slurm_outputs_equal_local(runs):
    local, remote, _, _ = runs
    for name in ("features/radiomics.csv", "features/qc.csv", "evaluation/oof_predictions.csv",
                 "evaluation/metrics.csv"):
        a, b = pd.read_csv(local / "results" / name), pd.read_csv(remote / "results" / name)
        pd.testing.assert_frame_equal(a, b, obj=name)
    wide = pd.read_csv(remote / "results" / "features" / "radiomics.csv")
    assert len(wide) == 6 and wide.filter(like="original_").shape[1] == 107


def with_study(work: Path, **sections) -> dict:
    """Merge ``sections`` into the study's config file; return the study."""
    study = {**yaml.safe_load((work / "study.yaml").read_text()), **sections}
    (work / "study.yaml").write_text(yaml.safe_dump(study))
    return study


def ingest_records(work: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in (work / "results" / "ingest" / "batches").glob("*.json")}


def test_failing_case_reported_others_finish(cluster, tmp_path):
    manifest = make_study(tmp_path, n_pos=2, n_neg=2)  # the fewest cases the manifest check accepts
    with_study(tmp_path, ingest={"batch_size": 1})  # on_error: fail (the default)
    bad = manifest.case_id.iloc[-1]
    (tmp_path / "cohort" / manifest.image.iloc[-1]).write_bytes(b"not an image")
    n_ingest = len(even_batches(list(manifest.case_id), 1))
    assert n_ingest == 4
    targets = [f"results/ingest/batches/ingest_{i}.json" for i in range(1, n_ingest + 1)]
    # One ingest batch (one case) per group job: a group job stops at its first error, so a
    # corrupt case would also stop the other batches of its job. Nothing after ingest is asked
    # for: the cohort plan needs every case, so with on_error: fail a bad case stops the cohort.
    proc = snakemake(tmp_path, *slurm_args(cluster, "--keep-going", chunk=1), targets=targets,
                     env=cluster.env)
    assert proc.returncode != 0
    log = proc.stderr
    submitted = dict(SUBMITTED.findall(log))
    assert len(submitted) == n_ingest, log[-3000:]
    failed = [job_id for job_id, path in submitted.items() if f"case {bad}, file" in Path(path).read_text()]
    assert len(failed) == 1, log[-3000:]
    states = cluster.jobs()
    assert states[failed[0]] == "FAILED"
    assert all(states[job_id] == "COMPLETED" for job_id in set(submitted) - set(failed)), states
    # Reported with the job's SLURM log and the batch's own log, which names the case and file.
    order = list(pd.read_csv(tmp_path / "cohort" / "manifest.csv").case_id)  # the batches' order
    bad_batch = targets[order.index(bad)]
    bad_log = bad_batch.replace("ingest/batches/", "logs/ingest/").replace(".json", ".log")
    assert Path(submitted[failed[0]]).parent.name == f"group_case_{Path(bad_batch).stem}"
    assert f"log: {submitted[failed[0]]} (check log" in log
    assert f"Error in rule {Path(bad_batch).stem}:" in log and f"log: {bad_log} (check log" in log
    assert f"case {bad}, file" in (tmp_path / bad_log).read_text()
    # The other cases finished: their batch records say ok and their images are there.
    records = ingest_records(tmp_path)
    assert sorted(records) == sorted(Path(t).stem for t in targets if t != bad_batch)
    done = sorted(c for rec in records.values() for c, entry in rec["cases"].items() if entry["status"] == "ok")
    assert done == sorted(set(manifest.case_id) - {bad})
    assert all((tmp_path / "results" / "ingest" / c / "image.nii").exists() for c in done)
    assert not (tmp_path / "results" / "ingest" / bad / "image.nii").exists()


def test_cohort_larger_than_a_group_fits_a_small_node(cluster, tmp_path):
    """5 cases in 5 ingest batches (ingest.batch_size 1), groups of 4 batches (the profile's
    default is 10: the same plan, see tests/slurm/test_plan.py), on this node of 2 CPUs (CI):
    every group job asks for at most the node's CPUs and memory, and every case gets done."""
    manifest = make_study(tmp_path, n_pos=2, n_neg=3)
    with_study(tmp_path, ingest={"batch_size": 1})
    plan = plan_slurm(cluster.cpus, cluster.mem_mb, cases_per_group=4)
    assert plan.cases_per_group == 4 > cluster.cpus == plan.cases_in_parallel, "not a node smaller than a group"
    profile = node_profile(tmp_path / "profile", cluster.cpus, cluster.mem_mb, cases_per_group=4)
    # ingest only: inside a group job the plugin's job step runs one step at a time
    targets = [f"results/ingest/batches/ingest_{i}.json" for i in range(1, 6)]
    proc = snakemake(tmp_path, *slurm_args(cluster, chunk=None, profile=profile), targets=targets,
                     env=cluster.env, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    submitted = dict(SUBMITTED.findall(proc.stderr))
    assert len(submitted) == 2  # 5 batches in groups of 4
    states = cluster.jobs()
    assert all(states[job_id] == "COMPLETED" for job_id in submitted), states
    # the full group: 2 batches side by side (1 CPU, 2,000 MB each), 2 rounds; the old profile
    # asked for one CPU and 2,000 MB per member of the group (10 CPUs, 20 GB by default)
    requests = sorted(job_request(cluster, job_id) for job_id in submitted)
    assert requests == [(1, 2000), (2, 4000)]
    records = ingest_records(tmp_path)
    assert sorted(records) == sorted(Path(t).stem for t in targets)
    assert all(len(rec["cases"]) == 1 for rec in records.values())
    done = sorted(c for rec in records.values() for c, entry in rec["cases"].items() if entry["status"] == "ok")
    assert done == sorted(manifest.case_id)
    assert all((tmp_path / "results" / "ingest" / c / "image.nii").exists() for c in done)


def test_unschedulable_job_stops_the_run_with_slurm_reason(cluster, tmp_path):
    """A profile that states a bigger node than the cluster has: SLURM leaves the group job
    pending (PartitionConfig); the watch cancels it and the run stops, naming the reason."""
    make_study(tmp_path, n_pos=3, n_neg=7)
    with_study(tmp_path, ingest={"batch_size": 1})  # one group of 10 ingest batches
    profile = node_profile(tmp_path / "profile", cluster.cpus + 8, min(cluster.mem_mb, 2000 * (cluster.cpus + 8)))
    targets = [f"results/preprocess/batches/preprocess_{i}.json" for i in range(1, 11)]
    env = dict(cluster.env, RADIODEEP_SLURM_WATCH_S="2")
    proc = snakemake(tmp_path, *slurm_args(cluster, chunk=None, profile=profile), targets=targets, env=env,
                     timeout=300)
    assert proc.returncode != 0
    submitted = dict(SUBMITTED.findall(proc.stderr))
    assert len(submitted) == 1, proc.stderr[-3000:]
    message = [line for line in proc.stderr.splitlines() if "cannot be scheduled" in line]
    assert message, proc.stderr[-3000:]
    assert "reason PartitionConfig" in message[0] and f"asks for {cluster.cpus + 8} CPUs" in message[0]
    assert f"largest node of partition debug has {cluster.cpus} CPUs" in message[0]
    cancelled = re.search(r"SLURM job (\d+) ", message[0]).group(1)
    assert cancelled in submitted and cluster.jobs()[cancelled] == "CANCELLED"
    assert "Exiting because a job execution failed" in proc.stderr
    assert not (tmp_path / "results" / "ingest" / "batches").exists()
    assert not (tmp_path / "results" / "preprocess").exists()
    assert "cannot be scheduled: reason PartitionConfig" in next((tmp_path / ".snakemake" / "log").glob("*.log")).read_text()
