"""Fit the retrieval confidence coefficients from ``per_query.jsonl`` files of hybrid retrieval evaluations.

    workbench eval retrieval --method hybrid ... --out OUT   # writes OUT/per_query.jsonl
    python scripts/fit_confidence.py OUT/per_query.jsonl [--check OTHER/per_query.jsonl]

Fits ``P(top hit relevant) = sigmoid(b0 + b1*dense + b2*agree + b3*margin)`` by logistic regression
(Newton's method, a small L2 penalty), reports the two-fold cross-validated ROC AUC on the fitting data and
the AUC on each ``--check`` file, and prints the coefficients for ``workbench/retrieval/confidence.py``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

FEATURES = ("dense", "agree", "margin")


def load(path: str) -> tuple[np.ndarray, np.ndarray]:
    with open(path, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    x = np.array([[1.0, *(r.get(f, 0.0) for f in FEATURES)] for r in rows])
    y = np.array([r["top_relevant"] for r in rows])
    return x, y


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> np.ndarray:
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + l2 * w
        hess = x.T @ (x * (p * (1 - p))[:, None]) + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def auc(score: np.ndarray, y: np.ndarray) -> float:
    pos, neg = score[y > 0], score[y <= 0]
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("per_query", help="per_query.jsonl of a hybrid run to fit on")
    parser.add_argument("--check", nargs="*", default=[], help="other per_query.jsonl files to report AUC on")
    args = parser.parse_args()
    x, y = load(args.per_query)
    folds = np.arange(len(y)) % 2
    cv = np.empty(len(y))
    for k in (0, 1):
        w = fit(x[folds != k], y[folds != k])
        cv[folds == k] = x[folds == k] @ w
    w = fit(x, y)
    print(f"fitted on {len(y)} queries ({int(y.sum())} with a relevant top hit); two-fold CV AUC {auc(cv, y):.4f}")
    for path in args.check:
        cx, cy = load(path)
        print(f"AUC on {path}: {auc(cx @ w, cy):.4f} ({len(cy)} queries)")
    print("COEFFICIENTS = (" + ", ".join(f"{v:.3f}" for v in w) + ")  # b0, dense, agree, margin")


if __name__ == "__main__":
    main()
