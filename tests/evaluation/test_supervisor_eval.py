"""The end-to-end supervisor benchmark's figures, from per-question records."""

from __future__ import annotations

import pytest

from workbench.evaluation.supervisor_eval import summarise


def row(correct: bool, p: float, *, first: bool | None = None, p_first: float | None = None, faithful: bool = True,
        iterations: int = 1) -> dict:
    return {"kind": "sql", "correct": correct, "correct_first": correct if first is None else first, "p": p,
            "p_first": p if p_first is None else p_first, "faithful": faithful, "complete": faithful,
            "written": "draft", "iterations": iterations, "lm_calls": 2 * iterations, "tokens": 100,
            "seconds": float(iterations)}


def test_the_summary_separates_first_iteration_and_final_accuracy_and_scores_the_evaluator():
    records = [row(True, 0.9), row(True, 0.8, first=False, p_first=0.95, iterations=2), row(False, 0.3),
               row(False, 0.1, faithful=False)]
    s = summarise(records)
    assert s["ex"] == 0.5 and s["ex_first_iteration"] == 0.25 and s["faithful_rate"] == 0.75
    assert s["evaluator_auc"] == 1.0 and s["evaluator_auc_first"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["iterations_mean"] == 1.25 and s["lm_calls_mean"] == 2.5 and s["n"] == 4 and s["ndcg_at_10"] is None


def test_questions_run_database_by_database_in_two_rounds_so_a_stopped_run_covers_every_database():
    from workbench.evaluation.spider import Text2SQLExample
    from workbench.evaluation.supervisor_eval import _in_passes

    examples = [Text2SQLExample(i, db, "q", "SELECT 1") for i, db in enumerate("abab" "aab")]
    order = [(e.db_id, e.index) for e in _in_passes(examples)]
    assert order == [("a", 0), ("a", 2), ("b", 1), ("b", 3), ("a", 4), ("a", 5), ("b", 6)]
