"""Train the segmentation stage's networks (CV folds, final model) side by side on CPU.

A small 3D U-Net on 48³ crops keeps one core busy better than it spreads over several: on the
2-core test machine two single-threaded trainings made 2 x 6.5 steps/s where one two-threaded
training made 11.2 (the demo's four networks: 214 s instead of ~250 s). Each training still runs with a fixed seed and a
fixed thread count (``threads // workers``), so its weights do not depend on which worker ran
it or on what ran beside it. On a GPU the networks are trained one after the other.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from radiodeep.errors import RadiodeepError
from radiodeep.io import atomic_path
from radiodeep.segment.data import Case
from radiodeep.segment.train import train_network

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One network to train: its training and validation cases, its seed and a name for the log."""

    name: str
    train: list[Case]
    val: list[Case]
    seed: int


def _portable(cases: list[Case]) -> list[Case]:
    """Cases without what training never reads (raw image, grid), so they cross processes cheaply."""
    return [replace(c, raw=None, grid=None) for c in cases]


def _train_in_worker(job: Job, settings: dict, device: str, threads: int):
    import torch

    torch.set_num_threads(threads)
    net, info = train_network(job.train, job.val, settings, job.seed, device, name=job.name)
    return {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, info


def workers_for(jobs: list[Job], settings: dict, device: str, threads: int) -> int:
    """How many trainings run at once: one per core on CPU (``parallel_models: false``: one)."""
    if device != "cpu" or not settings.get("parallel_models", True):
        return 1
    return max(1, min(int(threads), len(jobs)))


def train_all(jobs: list[Job], settings: dict, device: str, threads: int) -> list[tuple[object, dict]]:
    """Train every job; return ``(network in eval mode, info)`` in the order of ``jobs``."""
    import torch

    workers = workers_for(jobs, settings, device, threads)
    if workers == 1:
        torch.set_num_threads(int(threads))
        return [train_network(j.train, j.val, settings, j.seed, device, name=j.name) for j in jobs]

    from concurrent.futures import ThreadPoolExecutor

    from radiodeep.segment.checkpoint import build_network

    per_worker = max(1, int(threads) // workers)
    log.info("training %d networks, %d at a time with %d thread(s) each", len(jobs), workers, per_worker)
    with tempfile.TemporaryDirectory(prefix="radiodeep-train-") as tmp, ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(_run_in_process, j, settings, device, per_worker, Path(tmp) / f"job{i}") for i, j in enumerate(jobs)]
        results = [f.result() for f in futures]
    out = []
    for job, (state, info) in zip(jobs, results, strict=True):
        net = build_network(settings["architecture"])
        net.load_state_dict(state)
        log.info("%s trained %d steps in %.1f s", job.name, info["steps"], info["seconds"])
        out.append((net.eval(), info))
    return out


def _run_in_process(job: Job, settings: dict, device: str, threads: int, stem: Path):
    """Train ``job`` in a fresh ``python -m radiodeep.segment.schedule`` process (not a fork: a
    forked child of a process that already ran OpenMP work can deadlock; not multiprocessing's
    spawn: it would re-run the calling script, e.g. a Snakemake script adapter)."""
    import torch

    job_file, out_file = stem.with_suffix(".job.pkl"), stem.with_suffix(".out.pt")
    with atomic_path(job_file) as tmp:
        tmp.write_bytes(pickle.dumps((replace(job, train=_portable(job.train), val=_portable(job.val)), settings, device, threads)))
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH")) if p),
           "OMP_NUM_THREADS": str(threads)}
    done = subprocess.run([sys.executable, "-m", "radiodeep.segment.schedule", str(job_file), str(out_file)],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in done.stdout.splitlines():
        log.info("[%s] %s", job.name, line)
    if done.returncode != 0 or not out_file.is_file():
        raise RadiodeepError(f"training {job.name} failed in its worker process (exit {done.returncode}); "
                             f"its output:\n{done.stdout[-3000:]}")
    result = torch.load(out_file, weights_only=True)
    return result["state"], result["info"]


def _main(job_file: str, out_file: str) -> None:
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with open(job_file, "rb") as fh:
        job, settings, device, threads = pickle.load(fh)
    state, info = _train_in_worker(job, settings, device, threads)
    with atomic_path(out_file) as tmp:  # a killed worker leaves no partial file for the parent to read
        torch.save({"state": state, "info": info}, tmp)


if __name__ == "__main__":
    _main(*sys.argv[1:3])
