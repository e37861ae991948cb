"""Fitting the grounded evaluator: cross-validated by database, a threshold chosen for retries, a saved model."""

from __future__ import annotations

import json
import random

from workbench.optimize.evaluator import MODEL_SIGNALS, fit_evaluator, split_databases
from workbench.sql.checks import SIGNALS
from workbench.supervisor.calibration import LogisticModel


def signals_file(path, n_per_db: int = 40, seed: int = 0):
    """Synthetic collected signals: agreement predicts a right first answer; a vote fixes some wrong ones."""
    rng = random.Random(seed)
    with path.open("w") as lines:
        for index in range(3 * n_per_db):
            right = rng.random() < 0.7
            agree = float((right and rng.random() < 0.9) or (not right and rng.random() < 0.2))
            first = {name: 1.0 for name in SIGNALS} | {"agreement": agree}
            vote_right = right or rng.random() < 0.5
            vote = first | {"agreement": 1.0 if vote_right else 0.3}
            lines.write(json.dumps({"index": index, "db_id": f"db{index % 3}", "question": "q", "gold": "g",
                                    "first": {"sql": "a", "correct": right, "signals": first},
                                    "vote": {"sql": "b", "correct": vote_right, "signals": vote}}) + "\n")
    return path


def test_the_fit_reports_held_out_auc_picks_a_threshold_that_pays_and_saves_the_model(tmp_path):
    figures = fit_evaluator(signals_file(tmp_path / "signals.jsonl"), out_model=tmp_path / "m.json", log=False)
    assert figures["databases"] == ["db0", "db1", "db2"] and figures["evaluator_auc"] > 0.75
    assert figures["ex_threshold"] > figures["ex_first"] and 0 < figures["retry_rate"] <= 1
    model = LogisticModel.load(tmp_path / "m.json")
    assert model.features == list(MODEL_SIGNALS) and model.meta["cross_validated"]["threshold"] == figures["threshold"]


def test_the_database_split_is_seeded_and_holds_out_half():
    ids = [f"db{i}" for i in range(8)]
    assert split_databases(ids, seed=0) == split_databases(list(reversed(ids)), seed=0)
    assert len(split_databases(ids, seed=0)) == 4 and split_databases(ids, seed=0) != split_databases(ids, seed=1)
