"""Rerankers: LM grading (recorded responses), cross-encoder errors, the spec."""

from __future__ import annotations

import pytest
from conftest import chat_answer, recorded_lm

from workbench.retrieval.corpus import Chunk
from workbench.retrieval.index import Hit
from workbench.retrieval.rerank import CrossEncoderReranker, LMReranker, make_reranker


def _hit(doc: str, text: str, rank: int) -> Hit:
    return Hit(doc, "", Chunk(doc, 0, 0, len(text), text), 1.0 / rank, rank, {"fused": 1.0 / rank})


def test_lm_reranker_sorts_by_grade_and_keeps_fused_order_on_ties():
    lm, fake = recorded_lm([chat_answer(grade="1"), chat_answer(grade="3"), chat_answer(grade="1")])
    out = LMReranker(lm, depth=3).rerank("claim", [_hit("a", "x", 1), _hit("b", "y", 2), _hit("c", "z", 3)])
    assert [h.doc_id for h in out] == ["b", "a", "c"]
    assert [h.scores["rerank"] for h in out] == [3.0, 1.0, 1.0]
    assert "claim" in fake.prompt(0)


def test_search_reranks_only_the_top_depth_documents(scifact_index, scifact_sample):
    lm, fake = recorded_lm([chat_answer(grade="0"), chat_answer(grade="0"), chat_answer(grade="3")])
    query = scifact_sample[1][1].text
    plain = scifact_index.search(query, k=8)
    result = scifact_index.search(query, k=8, reranker=LMReranker(lm, depth=3))
    assert len(fake.calls) == 3
    assert result.method == "hybrid+rerank" and "rerank" in result.timings_ms
    assert result.doc_ids[:3] == [plain.doc_ids[2], plain.doc_ids[0], plain.doc_ids[1]]
    assert result.doc_ids[3:] == plain.doc_ids[3:]
    assert [h.rank for h in result.hits] == list(range(1, 9))


def test_cross_encoder_needs_a_local_folder():
    with pytest.raises(FileNotFoundError, match="No cross-encoder ships offline"):
        CrossEncoderReranker("/no/such/model")


def test_reranker_specs():
    assert make_reranker("none") is None and make_reranker(None) is None
    assert make_reranker("lm:qwen2.5-coder-0.5b").name == "lm"
    with pytest.raises(ValueError, match="Unknown reranker 'magic'"):
        make_reranker("magic")
