"""The evaluator's logistic model: it ranks right answers above wrong ones, and it round-trips through JSON."""

from __future__ import annotations

import random

import pytest

from workbench.supervisor.calibration import LogisticModel, auc, brier


def synthetic(n: int, seed: int) -> tuple[list[dict[str, float]], list[int]]:
    """Answers where agreement predicts being right and a noise signal predicts nothing."""
    rng = random.Random(seed)
    rows, labels = [], []
    for _ in range(n):
        right = rng.random() < 0.6
        agree = 1.0 if (right and rng.random() < 0.9) or (not right and rng.random() < 0.3) else 0.0
        rows.append({"agreement": agree, "noise": rng.random()})
        labels.append(int(right))
    return rows, labels


def test_a_fitted_model_ranks_held_out_answers_by_the_informative_signal(tmp_path):
    rows, labels = synthetic(400, 0)
    model = LogisticModel.fit(rows, labels, ["agreement", "noise"])
    test_rows, test_labels = synthetic(200, 1)
    scores = [model.predict(r) for r in test_rows]
    assert auc(scores, test_labels) > 0.75
    assert abs(model.weights[0]) > 5 * abs(model.weights[1])  # agreement matters, noise does not
    assert model.contributions({"agreement": 0.0, "noise": 1.0})["agreement"] < 0
    model.save(tmp_path / "m.json")
    again = LogisticModel.load(tmp_path / "m.json")
    assert again.predict(test_rows[0]) == pytest.approx(model.predict(test_rows[0]))


def test_auc_and_brier_on_known_cases():
    assert auc([0.9, 0.8, 0.1], [1, 1, 0]) == 1.0
    assert auc([0.1, 0.9], [1, 0]) == 0.0
    assert auc([0.5, 0.5], [1, 0]) == 0.5
    assert auc([0.3], [1]) is None  # one class: undefined
    assert brier([1.0, 0.0], [1, 0]) == 0.0 and brier([0.5], [1]) == 0.25


def test_fitting_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        LogisticModel.fit([{"a": 1.0}], [1], ["a"])
