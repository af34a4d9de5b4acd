"""Train the segmentation stage's networks (CV folds, final model) side by side on CPU.

A small 3D U-Net on 48-64³ crops keeps one core busy far better than it spreads over several:
on a 2-core machine two single-threaded trainings finish well before the same two trainings run
one after the other with two threads each. Each training still runs with a fixed seed and a
fixed thread count (``threads // workers``), so its weights do not depend on which worker ran
it or on what ran beside it. On a GPU the networks are trained one after the other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

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

    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from radiodeep.segment.checkpoint import build_network

    per_worker = max(1, int(threads) // workers)
    log.info("training %d networks, %d at a time with %d thread(s) each", len(jobs), workers, per_worker)
    # spawn, not fork: a forked child of a process that already ran OpenMP work can deadlock
    context = multiprocessing.get_context("spawn")
    out = []
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(_train_in_worker, replace(j, train=_portable(j.train), val=_portable(j.val)),
                               settings, device, per_worker) for j in jobs]
        for job, fut in zip(jobs, futures, strict=True):
            state, info = fut.result()
            net = build_network(settings["architecture"])
            net.load_state_dict(state)
            log.info("%s trained %d steps in %.1f s", job.name, info["steps"], info["seconds"])
            out.append((net.eval(), info))
    torch.set_num_threads(int(threads))
    return out
