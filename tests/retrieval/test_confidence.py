"""The confidence: 0 without hits, higher for a query the collection answers than for gibberish."""

from __future__ import annotations

import pytest

from workbench.retrieval.confidence import confidence_of, features
from workbench.retrieval.corpus import Chunk
from workbench.retrieval.results import Hit


def _hit(rank: int, **scores: float) -> Hit:
    return Hit(str(rank), "", Chunk(str(rank), 0, 0, 1, "x"), scores.get("fused", 0.0), rank, scores)


def test_features_of_the_top_hit():
    hits = [_hit(1, fused=1.6, bm25=12.0, dense=0.7), _hit(2, fused=0.4, dense=0.5)]
    assert features(hits) == pytest.approx((0.7, 1.0, 0.75))
    assert features(hits[:1]) == (0.7, 1.0, 1.0)


def test_no_hits_means_no_confidence():
    assert confidence_of([]) == 0.0


def test_a_claim_the_collection_supports_is_more_confident_than_gibberish(scifact_index, scifact_sample):
    doc = scifact_sample[0].documents[3]
    sure = scifact_index.search(doc.title).confidence
    unsure = scifact_index.search("purple elephant ballet tickets").confidence
    assert 0.0 <= unsure < sure <= 1.0
