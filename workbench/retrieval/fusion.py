"""Fusing ranked lists from several retrievers into one.

* Reciprocal rank fusion (Cormack et al., 2009): an item at 1-based rank
  ``r`` in list ``i`` earns ``w_i / (k + r)``; scores add across lists.
  Only ranks matter, so BM25 and cosine scores need no calibration.
* Weighted score fusion: each list's scores are min-max normalised to
  [0, 1] (an item missing from a list gets 0 there), then summed with
  weights. It uses score gaps that RRF throws away, and is sensitive to outliers.

Both return ``(key, score)`` pairs, best first; ties keep the order in which
keys were first seen (earlier lists first), so results are deterministic.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

DEFAULT_RRF_K = 60
FUSIONS = ("rrf", "weighted")


def _weights(weights: Sequence[float] | None, n: int) -> list[float]:
    if weights is None:
        return [1.0] * n
    if len(weights) != n:
        raise ValueError(f"Got {len(weights)} weights for {n} ranked lists; give one weight per list")
    if any(w < 0 for w in weights):
        raise ValueError(f"Fusion weights must not be negative, got {list(weights)}")
    return [float(w) for w in weights]


def reciprocal_rank_fusion(rankings: Sequence[Sequence[K]], k: float = DEFAULT_RRF_K,
                           weights: Sequence[float] | None = None) -> list[tuple[K, float]]:
    """Fuse ranked lists (best first) by reciprocal rank: ``sum_i w_i / (k + rank_i)``."""
    if k < 0:
        raise ValueError(f"RRF k must be >= 0, got {k}")
    scores: dict[K, float] = {}
    for weight, ranking in zip(_weights(weights, len(rankings)), rankings, strict=True):
        for rank, key in enumerate(ranking, 1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])


def weighted_score_fusion(scores: Sequence[Mapping[K, float]],
                          weights: Sequence[float] | None = None) -> list[tuple[K, float]]:
    """Fuse scored lists by the weighted sum of min-max normalised scores (a constant list normalises to 1)."""
    fused: dict[K, float] = {}
    for weight, scored in zip(_weights(weights, len(scores)), scores, strict=True):
        if not scored:
            continue
        low, high = min(scored.values()), max(scored.values())
        span = high - low
        for key, value in scored.items():
            fused[key] = fused.get(key, 0.0) + weight * ((value - low) / span if span > 0 else 1.0)
    return sorted(fused.items(), key=lambda item: -item[1])
