"""Summary statistics shared by the evaluations and benchmarks."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 <= q <= 1) of ``values``; the median for ``q = 0.5``; 0 when empty."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    if q == 0.5:
        return float(statistics.median(ordered))
    return float(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))])
