"""Side-by-side training: a network trained in a worker process equals the same training run in
this process with the same thread count, whatever ran beside it."""

from __future__ import annotations

import pytest
import torch

from radiodeep.segment.data import Case
from radiodeep.segment.schedule import Job, train_all, workers_for
from radiodeep.segment.train import DEFAULT_TRAINING, train_network
from tests.segment.conftest import TINY, sphere_case

SETTINGS = {**DEFAULT_TRAINING, **TINY, "steps": 12}


def _cases(seeds) -> list[Case]:
    out = []
    for s in seeds:
        image, mask = sphere_case(s)
        out.append(Case(f"C{s}", f"P{s}", image / 10, mask, image, (4.0, 4.0, 4.0)))
    return out


def test_workers_one_per_core_on_cpu_only():
    jobs = [Job(str(i), [], [], i) for i in range(3)]
    assert workers_for(jobs, SETTINGS, "cpu", 2) == 2
    assert workers_for(jobs[:1], SETTINGS, "cpu", 2) == 1
    assert workers_for(jobs, SETTINGS, "cuda", 2) == 1
    assert workers_for(jobs, {**SETTINGS, "parallel_models": False}, "cpu", 2) == 1


@pytest.mark.slow
def test_parallel_training_equals_sequential_single_thread():
    jobs = [Job("a", _cases([0, 1, 2]), [], 5), Job("b", _cases([3, 4]), _cases([5]), 6)]
    parallel = train_all(jobs, SETTINGS, "cpu", threads=2)  # two workers, one thread each
    torch.set_num_threads(1)
    try:
        for job, (net, info) in zip(jobs, parallel, strict=True):
            ref, ref_info = train_network(job.train, job.val, SETTINGS, job.seed, "cpu", name=job.name)
            assert info["steps"] == ref_info["steps"] == 12
            for (name, a), b in zip(net.state_dict().items(), ref.state_dict().values(), strict=True):
                assert torch.equal(a, b), name
        # the two jobs' networks differ (different data and seeds): the comparison above can fail
        assert not torch.equal(next(iter(parallel[0][0].parameters())), next(iter(parallel[1][0].parameters())))
    finally:
        torch.set_num_threads(2)
