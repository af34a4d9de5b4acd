"""Cases per batch job: the workflow runs a batch of cases in one process (ingest, preprocess,
radiomics), so a cohort does not pay Python's start-up once per case."""

from __future__ import annotations

import math

AUTO = "auto"
AUTO_MIN, AUTO_MAX, CLUSTER_SIZE = 30, 250, 30


def planned_batch_size(setting: int | str, n: int, cores: int = 1, cluster: bool = False) -> int:
    """Cases per batch job: ``setting`` when it is a number; for ``auto``, one batch per core
    (``ceil(n / cores)``) of at least 30 and at most 250 cases on one machine, and 30 under a
    cluster executor (or ``--jobs``), where each batch is its own job and many small ones spread
    over the nodes. Each batch job pays Python's start-up and imports once (~1-1.5 s of CPU);
    250 bounds what a killed batch redoes.

    Example:
        >>> [planned_batch_size("auto", n, 2) for n in (51, 204, 1020)]
        [30, 102, 250]
        >>> planned_batch_size("auto", 1020, 2, cluster=True), planned_batch_size(12, 1020, 2)
        (30, 12)
    """
    if setting != AUTO:
        return int(setting)
    if cluster:
        return CLUSTER_SIZE
    return max(AUTO_MIN, min(AUTO_MAX, math.ceil(n / max(1, cores))))


def even_batches(cases: list[str], batch_size: int, cores: int = 1) -> list[list[str]]:
    """Consecutive batches of at most ``batch_size`` cases whose sizes differ by at most one.

    Their count is ``ceil(n / batch_size)`` rounded up to a multiple of ``cores`` (never more
    than ``n``), so the last round of jobs keeps every core busy.

    Example:
        >>> [len(b) for b in even_batches([f"c{i}" for i in range(51)], 25)]
        [17, 17, 17]
        >>> [len(b) for b in even_batches([f"c{i}" for i in range(51)], 25, cores=2)]
        [12, 13, 13, 13]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    if cores < 1:
        raise ValueError(f"cores must be at least 1, not {cores}")
    n = len(cases)
    k = min(n, cores * math.ceil(math.ceil(n / batch_size) / cores))
    return [cases[i * n // k:(i + 1) * n // k] for i in range(k)]
