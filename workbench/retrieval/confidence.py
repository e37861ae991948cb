"""How sure a retrieval result is that its top document answers the query.

``confidence_of(hits)`` is a logistic function of three signals of the top hit:

* ``dense``: its cosine similarity to the query (0 when dense search missed it);
* ``agree``: 1 when BM25 and dense search both retrieved it, else 0;
* ``margin``: how far its fused score is ahead of the second hit's, as a
  share of its own score.

``confidence = 1 / (1 + exp(-(b0 + b1·dense + b2·agree + b3·margin)))``.
The coefficients in ``COEFFICIENTS`` were fitted by logistic regression on the
visible SciFact queries, the label being "the top hit is relevant"
(``scripts/fit_confidence.py``). ``workbench eval retrieval`` reports how well
it separates relevant from irrelevant top hits as ``confidence_auc`` (ROC AUC)
in ``metrics.json``; the README has the figures. The agreement weight is
negative because, with weighted fusion, a top hit found by only one retriever
wins by a wide margin, which the margin term would otherwise over-reward.
It is a ranking signal calibrated on scientific claims, not a probability
to trust on other collections without checking ``confidence_auc`` there.
A result without hits has confidence 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.retrieval.results import Hit

# b0, dense, agree, margin: fitted by scripts/fit_confidence.py on the hybrid run over the 809 visible SciFact
# queries (two-fold cross-validated ROC AUC 0.81 there; 0.63 on KorQuAD, which it never saw).
COEFFICIENTS = (-1.101, 4.991, -3.011, 6.127)


def features(hits: Sequence[Hit]) -> tuple[float, float, float]:
    """``(dense, agree, margin)`` of the top hit (see the module docstring)."""
    top = hits[0]
    dense = top.scores.get("dense", 0.0)
    agree = 1.0 if "bm25" in top.scores and "dense" in top.scores else 0.0
    first = top.scores.get("fused", top.score)
    second = hits[1].scores.get("fused", hits[1].score) if len(hits) > 1 else 0.0
    margin = (first - second) / first if first > 0 else 0.0
    return dense, agree, margin


def confidence_of(hits: Sequence[Hit], coefficients: Sequence[float] = COEFFICIENTS) -> float:
    """The confidence in [0, 1] that the top hit is relevant (0 without hits)."""
    if not hits:
        return 0.0
    b0, *weights = coefficients
    z = b0 + sum(w * x for w, x in zip(weights, features(hits), strict=True))
    return round(1.0 / (1.0 + math.exp(-z)), 4)
