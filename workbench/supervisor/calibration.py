"""A small logistic model: named signals in [0, 1] → the probability that an answer is right.

``LogisticModel.fit(rows, labels)`` fits weights by Newton's method with an
L2 penalty (numpy only, deterministic); ``predict(signals)`` returns the
probability, and ``contributions(signals)`` how much each signal moved the
log-odds. The model is stored as JSON (``save``/``load``) so the fitted
coefficients live in the repository and a refit is a reviewed diff.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class LogisticModel:
    """``p = sigmoid(bias + Σ weights[name] · signals[name])``; a signal absent from the input counts as 0.5.

    ``meta`` records how the model was fitted (data, split, held-out figures) and is saved with it.
    """

    features: list[str]
    weights: list[float]
    bias: float
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(cls, rows: Sequence[Mapping[str, float]], labels: Sequence[int], features: Sequence[str], *,
            l2: float = 1.0, iterations: int = 50) -> LogisticModel:
        """Fit on ``rows`` (signal name → value) and 0/1 ``labels`` by penalised Newton steps (bias unpenalised)."""
        x = np.array([[float(r.get(f, 0.5)) for f in features] for r in rows], dtype=float)
        y = np.asarray(labels, dtype=float)
        if len(x) == 0 or len(set(y.tolist())) < 2:
            raise ValueError("Fitting needs examples of both classes (right and wrong answers)")
        design = np.hstack([np.ones((len(x), 1)), x])
        beta = np.zeros(design.shape[1])
        penalty = np.eye(design.shape[1]) * l2
        penalty[0, 0] = 0.0
        for _ in range(iterations):
            p = 1 / (1 + np.exp(-np.clip(design @ beta, -30, 30)))
            gradient = design.T @ (p - y) + penalty @ beta
            hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
            step = np.linalg.solve(hessian + 1e-9 * np.eye(len(beta)), gradient)
            beta -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(list(features), [round(float(w), 6) for w in beta[1:]], round(float(beta[0]), 6))

    def log_odds(self, signals: Mapping[str, float]) -> float:
        """``bias + Σ weight · signal``."""
        return self.bias + sum(w * float(signals.get(f, 0.5)) for f, w in zip(self.features, self.weights,
                                                                               strict=True))

    def predict(self, signals: Mapping[str, float]) -> float:
        """The probability that the answer these signals describe is right."""
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, self.log_odds(signals)))))

    def contributions(self, signals: Mapping[str, float]) -> dict[str, float]:
        """Each signal's share of the log-odds relative to a perfect value (1): 0 for a passed check, negative
        for one that pulled the probability down."""
        return {f: round(w * (float(signals.get(f, 0.5)) - 1.0), 4) for f, w in zip(self.features, self.weights,
                                                                                     strict=True)}

    def save(self, path: str | Path) -> None:
        """Write the model as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> LogisticModel:
        """Read a model written by ``save``."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["features"], data["weights"], data["bias"], data.get("meta", {}))


def auc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (ties count half); ``None`` when only one class is present."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return round(wins / (len(pos) * len(neg)), 4)


def brier(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Mean squared error of the probabilities against the 0/1 outcomes (lower is better)."""
    if not scores:
        return None
    return round(sum((s - y) ** 2 for s, y in zip(scores, labels, strict=True)) / len(scores), 4)
