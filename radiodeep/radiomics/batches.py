"""Cases per batch job: the workflow runs a batch of cases in one process (ingest, preprocess,
radiomics), so a cohort does not pay Python's start-up once per case."""

from __future__ import annotations

import math


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
