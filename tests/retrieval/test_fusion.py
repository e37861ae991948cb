"""Fusion arithmetic: reciprocal rank fusion and weighted min-max score fusion."""

from __future__ import annotations

import pytest

from workbench.retrieval.fusion import reciprocal_rank_fusion, weighted_score_fusion


def test_rrf_adds_reciprocal_ranks_with_k():
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63)
    assert fused["d"] == pytest.approx(1 / 62)


def test_rrf_ranks_an_item_both_lists_like_above_items_only_one_likes():
    order = [key for key, _ in reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]])]
    assert order == ["b", "a", "d", "c"]


def test_rrf_weights_scale_each_list():
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=0, weights=[2.0, 1.0]))
    assert fused == {"a": 2.0, "b": 1.0}


def test_rrf_ties_keep_first_seen_order():
    assert [k for k, _ in reciprocal_rank_fusion([["x"], ["y"]])] == ["x", "y"]


def test_weighted_fusion_normalises_each_list_to_unit_range():
    fused = dict(weighted_score_fusion([{"a": 10.0, "b": 5.0, "c": 0.0}, {"b": 0.9, "c": 0.5}], weights=[1.0, 1.0]))
    assert fused["a"] == pytest.approx(1.0)  # top of list 1, absent from list 2
    assert fused["b"] == pytest.approx(0.5 + 1.0)
    assert fused["c"] == pytest.approx(0.0 + 0.0)


def test_weighted_fusion_constant_list_counts_as_full_score():
    assert dict(weighted_score_fusion([{"a": 3.0, "b": 3.0}])) == {"a": 1.0, "b": 1.0}


def test_bad_weights_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="2 weights for 1 ranked lists"):
        reciprocal_rank_fusion([["a"]], weights=[1, 2])
    with pytest.raises(ValueError, match="negative"):
        weighted_score_fusion([{"a": 1.0}], weights=[-1])
