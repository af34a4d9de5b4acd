"""SLURM: group jobs sized to the partition's nodes, and a watch for jobs that can never start.

``plan_slurm`` turns what the user states about one node (CPUs, memory) into the Snakemake
settings of ``workflow/profiles/slurm/config.yaml``: ``--cores`` (Snakemake caps every rule's
threads at it and lays the cases of a group job out so that the cases running side by side
need no more CPUs than that) and ``--group-components``. ``SlurmWatch`` polls ``squeue`` for
the run's pending jobs and cancels one that SLURM will never start (its reason says so, or it
asks for more than any node of its partition has), so the run stops with SLURM's own reason
instead of waiting silently.
"""

from __future__ import annotations

import logging
import os
import pwd
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from radiodeep.errors import RadiodeepError

log = logging.getLogger(__name__)

# Pending reasons after which SLURM never starts the job as submitted (squeue(1) "JOB REASON CODES").
NEVER_STARTS = {
    "PartitionConfig", "PartitionNodeLimit", "PartitionTimeLimit", "BadConstraints",
    "InvalidAccount", "InvalidQOS", "AccountNotAllowed", "QOSNotAllowed", "PartitionDown", "PartitionInactive",
}
NEVER_STARTS_PATTERN = re.compile(r"^(QOS|Assoc)Max\w*PerJob(Limit)?$")
# Reasons that only mean "wait", unless the request exceeds every node of the partition.
WAIT_REASONS = {"Resources", "Priority", "None", "BeginTime", "Dependency", "JobHeldUser"}
SQUEUE_FORMAT = "%i|%r|%C|%m|%P|%k|%Z"


@dataclass(frozen=True)
class SlurmPlan:
    """Snakemake settings for group jobs that fit one node."""

    cores: int
    cases_in_parallel: int
    cases_per_group: int

    @property
    def group_components(self) -> list[str]:
        return [f"case={self.cases_per_group}"]


def plan_slurm(node_cpus: int, node_mem_mb: int, *, case_threads: int = 1, case_mem_mb: int = 2000,
               cases_per_group: int = 10) -> SlurmPlan:
    """Size the per-case group jobs (ingest -> preprocess of several cases) for one node.

    A group job runs ``cases_in_parallel`` cases side by side (as many as the node's CPUs and
    memory allow) and the rest of its ``cases_per_group`` one round after another.

    Example:
        >>> plan_slurm(2, 16000)
        SlurmPlan(cores=2, cases_in_parallel=2, cases_per_group=10)
        >>> plan_slurm(64, 3000).cases_in_parallel   # memory-bound: one 2 GB case at a time
        1
    """
    for name, value in (("NODE_CPUS", node_cpus), ("NODE_MEM_MB", node_mem_mb), ("case_threads", case_threads),
                        ("case_mem_mb", case_mem_mb), ("CASES_PER_GROUP", cases_per_group)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise RadiodeepError(f"SLURM profile: {name} must be a positive whole number, not {value!r} "
                                 "(workflow/profiles/slurm/config.yaml, __definitions__)")
    if case_threads > node_cpus or case_mem_mb > node_mem_mb:
        raise RadiodeepError(f"SLURM profile: one case needs {case_threads} CPU(s) and {case_mem_mb} MB but a node has "
                             f"{node_cpus} CPU(s) and {node_mem_mb} MB: choose a partition with larger nodes")
    parallel = min(node_cpus // case_threads, node_mem_mb // case_mem_mb, cases_per_group)
    return SlurmPlan(cores=parallel * case_threads, cases_in_parallel=parallel,
                     cases_per_group=parallel * max(1, cases_per_group // parallel))


def parse_mem_mb(text: str) -> int:
    """squeue's memory field (``2000M``, ``20G``, ``1T``, ``500K``) in MB.

    Example:
        >>> parse_mem_mb("20G"), parse_mem_mb("1500M"), parse_mem_mb("800")
        (20480, 1500, 800)
    """
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)", text.strip().upper())
    if not match:
        return 0
    scale = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024 * 1024}[match.group(2)]
    return int(float(match.group(1)) * scale)


@dataclass(frozen=True)
class PendingJob:
    job_id: str
    reason: str
    cpus: int
    mem_mb: int
    partition: str
    comment: str
    workdir: str


def parse_squeue(text: str) -> list[PendingJob]:
    """Rows of ``squeue -h -o SQUEUE_FORMAT``."""
    jobs = []
    for line in text.splitlines():
        fields = line.split("|")
        if len(fields) != 7:
            continue
        job_id, reason, cpus, mem, partition, comment, workdir = fields
        jobs.append(PendingJob(job_id, reason, int(cpus) if cpus.isdigit() else 0, parse_mem_mb(mem),
                               partition, comment, workdir))
    return jobs


def never_starts(job: PendingJob, nodes: list[tuple[int, int]]) -> str | None:
    """Why SLURM will never start ``job`` (``nodes``: CPUs and MB of each node of its partition), or None."""
    if job.reason in NEVER_STARTS or NEVER_STARTS_PATTERN.match(job.reason):
        return job.reason
    if nodes and (job.cpus > max(c for c, _ in nodes) or job.mem_mb > max(m for _, m in nodes)):
        return job.reason if job.reason not in ("None", "") else "Resources"
    return None


def unschedulable_message(job: PendingJob, reason: str, nodes: list[tuple[int, int]]) -> str:
    biggest = f"{max(c for c, _ in nodes)} CPUs, {max(m for _, m in nodes)} MB" if nodes else "unknown size"
    return (f"SLURM job {job.job_id} ({job.comment if job.comment not in ('', '(null)') else 'no comment'}) cannot be scheduled: reason {reason}; it asks for "
            f"{job.cpus} CPUs and {job.mem_mb} MB, the largest node of partition {job.partition or '?'} has {biggest}. "
            "Cancelled it; set NODE_CPUS and NODE_MEM_MB in workflow/profiles/slurm/config.yaml to your nodes "
            "(scontrol show node), or lower the rule's resources with --set-resources")


def _run(cmd: list[str]) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout


class SlurmWatch(threading.Thread):
    """Poll the run's pending jobs (those whose working directory is ``workdir``) every
    ``interval`` seconds; cancel each one that will never start and report it with SLURM's reason."""

    def __init__(self, workdir: str, interval: float = 15.0, report: Callable[[str], None] | None = None,
                 run: Callable[[list[str]], str] = _run):
        super().__init__(name="radiodeep-slurm-watch", daemon=True)
        self.workdir = os.path.realpath(workdir)
        self.interval = interval
        self.report = report or (lambda msg: print(f"Error: {msg}", file=sys.stderr, flush=True))
        self.run_cmd = run
        self.stopped = threading.Event()
        self.cancelled: dict[str, str] = {}
        self._nodes: dict[str, list[tuple[int, int]]] = {}

    def nodes(self, partition: str) -> list[tuple[int, int]]:
        if partition not in self._nodes:
            out = self.run_cmd(["sinfo", "-h", "-N", "-p", partition, "-o", "%c %m"])
            self._nodes[partition] = [(int(c), parse_mem_mb(m)) for c, m in
                                      (line.split() for line in out.splitlines() if len(line.split()) == 2)
                                      if c.isdigit()]
        return self._nodes[partition]

    def check(self) -> list[str]:
        """One poll: cancel what never starts; return the messages reported."""
        user = pwd.getpwuid(os.getuid()).pw_name
        out = self.run_cmd(["squeue", "-h", "-u", user, "-t", "PENDING", "-o", SQUEUE_FORMAT])
        messages = []
        for job in parse_squeue(out):
            if job.job_id in self.cancelled or os.path.realpath(job.workdir) != self.workdir:
                continue
            nodes = self.nodes(job.partition) if job.partition else []
            reason = never_starts(job, nodes)
            if reason is None:
                continue
            message = unschedulable_message(job, reason, nodes)
            self.cancelled[job.job_id] = reason
            self.run_cmd(["scancel", job.job_id])
            self.report(message)
            messages.append(message)
        return messages

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.check()
            except (OSError, subprocess.SubprocessError) as exc:  # a busy controller: try again next time
                log.debug("slurm watch: %s", exc)
