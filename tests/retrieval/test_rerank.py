"""Rerankers: LM grading (recorded responses), cross-encoder errors, the spec."""

from __future__ import annotations

import dspy
import numpy as np
import pytest
from common import chat_answer, recorded_lm

from workbench.retrieval.corpus import Chunk
from workbench.retrieval.rerank import CrossEncoderReranker, LMReranker, make_reranker
from workbench.retrieval.results import Hit


def _hit(doc: str, text: str, rank: int) -> Hit:
    return Hit(doc, "", Chunk(doc, 0, 0, len(text), text), 1.0 / rank, rank, {"fused": 1.0 / rank})


def _logits(yes: float, no: float) -> np.ndarray:
    logits = np.full(256, -20.0)
    logits[ord("y")], logits[ord("n")] = yes, no  # the recorded model's tokens are bytes
    return logits


def test_local_lm_reranker_scores_by_the_probability_of_yes():
    lm, fake = recorded_lm("", logits=[_logits(0.0, 2.0), _logits(3.0, 0.0), _logits(1.0, 1.0)])
    out = LMReranker(lm, depth=3).rerank("claim", [_hit("a", "x", 1), _hit("b", "y", 2), _hit("c", "z", 3)])
    assert [h.doc_id for h in out] == ["b", "c", "a"]
    assert out[0].scores["rerank"] == pytest.approx(1 / (1 + np.exp(-3.0)), abs=1e-6)
    assert out[1].scores["rerank"] == pytest.approx(0.5, abs=1e-6)
    assert all(call["max_tokens"] == 1 for call in fake.calls)
    assert fake.prompt(0).index("claim") < fake.prompt(0).index("Passage: x")  # query first: a shared prefix


def test_lm_reranker_grades_through_dspy_when_the_lm_has_no_local_engine():
    class ChatOnlyEngine:  # like a remote API: chat completions, no access to logits
        def __init__(self, engine):
            self.engine = engine

        def complete(self, request):
            return self.engine.complete(request)

    local, fake = recorded_lm([chat_answer(grade="1"), chat_answer(grade="3"), chat_answer(grade="1")])
    remote = dspy.LM("local/chat-only", engine=ChatOnlyEngine(local.engine), cache=False, temperature=0.0,
                     max_tokens=64)
    out = LMReranker(remote, depth=3).rerank("claim", [_hit("a", "x", 1), _hit("b", "y", 2), _hit("c", "z", 3)])
    assert len(fake.calls) == 3 and "claim" in fake.prompt(0)
    assert [h.doc_id for h in out] == ["b", "a", "c"]
    assert [h.scores["rerank"] for h in out] == [3.0, 1.0, 1.0]


def test_search_reranks_only_the_top_depth_documents(scifact_index, scifact_sample):
    lm, fake = recorded_lm("", logits=[_logits(0.0, 1.0), _logits(0.0, 1.0), _logits(2.0, 0.0)])
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
