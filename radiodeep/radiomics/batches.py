"""Cases per radiomics job: the workflow extracts a batch of cases in one process."""

from __future__ import annotations

import math


def even_batches(cases: list[str], batch_size: int) -> list[list[str]]:
    """``ceil(n / batch_size)`` consecutive batches whose sizes differ by at most one.

    Example:
        >>> [len(b) for b in even_batches([f"c{i}" for i in range(51)], 25)]
        [17, 17, 17]
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    n = len(cases)
    k = math.ceil(n / batch_size)
    return [cases[i * n // k:(i + 1) * n // k] for i in range(k)]
