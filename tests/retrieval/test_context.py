"""Context building: numbered citations, the token budget, and cutting the last source."""

from __future__ import annotations

import pytest

from workbench.retrieval.context import build_context, estimate_tokens
from workbench.retrieval.corpus import Chunk
from workbench.retrieval.results import Hit


def _hit(doc: str, text: str, rank: int, title: str = "") -> Hit:
    return Hit(doc, title, Chunk(doc, 0, 0, len(text), text, title), 1.0 / rank, rank)


def test_sources_are_numbered_in_rank_order_with_titles():
    context = build_context([_hit("d1", "Statins lower LDL.", 1, "Statin trial"), _hit("d2", "Aspirin helps.", 2)])
    assert context.text.startswith("[1] Statin trial (doc d1)\nStatins lower LDL.")
    assert "[2] (doc d2)\nAspirin helps." in context.text
    assert [s.number for s in context.sources] == [1, 2] and not context.truncated


def test_budget_is_respected_and_the_overflowing_source_is_cut_at_a_word():
    long_text = " ".join(f"word{i}" for i in range(400))
    hits = [_hit("a", "short first source", 1), _hit("b", long_text, 2), _hit("c", "never reached", 3)]
    context = build_context(hits, token_budget=200)
    assert context.tokens <= 200
    assert [s.doc_id for s in context.sources] == ["a", "b"]
    assert context.sources[1].truncated and context.truncated
    assert long_text.startswith(context.sources[1].text) and context.sources[1].text.endswith(
        context.sources[1].text.split()[-1])


def test_a_source_that_cannot_usefully_fit_is_left_out():
    context = build_context([_hit("a", "x " * 90, 1), _hit("b", "y " * 200, 2)], token_budget=140)
    assert [s.doc_id for s in context.sources] == ["a"] and context.truncated


def test_token_estimate_counts_words_and_hangul_characters():
    assert estimate_tokens("ten little words make up this short english test sentence here") == 15
    assert estimate_tokens("정육점") == 3
    with pytest.raises(ValueError, match="token_budget must be positive"):
        build_context([], token_budget=0)
