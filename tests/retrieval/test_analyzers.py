"""Language-aware tokenisation for BM25: English stemming, Korean morphemes and bigrams, detection."""

from __future__ import annotations

import pytest

from workbench.retrieval.analyzers import analyzer, detect_language, english, korean, korean_ngrams, whitespace


def test_english_stems_and_drops_stop_words():
    terms = english("The cells of the tumour were dividing rapidly")
    assert {"cell", "tumour", "divid", "rapid"} <= set(terms)
    assert not {"the", "of"} & set(terms)


def test_korean_keeps_content_morphemes_so_particles_do_not_block_matches():
    question = korean("임세영은 무엇을 경영하던 사람이었습니까?")
    passage = korean("임세영은 중국 광동성 남해현 출신으로 정육점을 경영하던 사람이었다.")
    assert "경영" in question and "경영" in passage
    assert not {"은", "을"} & set(question)


def test_korean_bigrams_split_words_into_overlapping_pairs():
    assert korean_ngrams("정육점을 팔다") == ["정육", "육점", "점을", "팔다"]


def test_korean_analyzer_handles_latin_words_as_english():
    assert "dna" in korean("DNA 복제 과정")


def test_whitespace_is_the_plain_baseline():
    assert whitespace("임세영은 정육점을") == ["임세영은", "정육점을"]


def test_language_detection():
    assert detect_language(["임세영은 중국 광동성 남해현 출신으로"]) == "korean"
    assert detect_language(["Alterations of the architecture of cerebral white matter"]) == "english"
    assert detect_language([]) == "english"


def test_unknown_analyzer_lists_the_choices():
    with pytest.raises(ValueError, match="english, korean"):
        analyzer("klingon")
