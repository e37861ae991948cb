"""nDCG@10, Recall@100 and MRR@10 against hand-computed values."""

from __future__ import annotations

import math

import pytest

from workbench.evaluation.retrieval_metrics import mrr_at_k, ndcg_at_k, recall_at_k, score_run


def test_ndcg_uses_linear_gain_and_the_ideal_ranking():
    grades = {"a": 2, "b": 1}
    assert ndcg_at_k(["a", "b"], grades) == pytest.approx(1.0)
    dcg = 1 / math.log2(2) + 2 / math.log2(3)
    idcg = 2 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k(["b", "a"], grades) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["x"] * 10 + ["a"], grades, k=10) == 0.0


def test_recall_and_mrr():
    grades = {"a": 1, "b": 1, "z": 0}
    assert recall_at_k(["a", "x", "z"], grades, 100) == 0.5
    assert mrr_at_k(["x", "z", "b"], grades, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x"] * 10 + ["a"], grades, 10) == 0.0


def test_run_scores_average_over_judged_queries_and_missing_runs_count_as_zero():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    means, per_query = score_run({"q1": ["a"]}, qrels)
    assert means == {"ndcg@10": 0.5, "recall@100": 0.5, "mrr@10": 0.5, "n": 2}
    assert set(per_query) == {"q1", "q2"}
