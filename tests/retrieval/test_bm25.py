"""Keyword search (BM25): ranking by exact terms, growth with add, persistence, odd queries, top_k."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.retrieval.bm25 import KeywordIndex, top_k

ABSTRACTS = [
    "Statins lower LDL cholesterol and reduce cardiovascular events in adults.",
    "Aspirin reduces the risk of a second heart attack.",
    "Vitamin D supplementation and bone density in the elderly.",
    "Tumour cells divide rapidly when the p53 gene is mutated.",
    "Regular exercise lowers blood pressure in adults with hypertension.",
    "Insulin resistance precedes type 2 diabetes by several years.",
]


def build(texts=ABSTRACTS, analyzer="english", **params) -> KeywordIndex:
    return KeywordIndex(analyzer, **params).build(texts)


def test_the_document_holding_a_rare_query_term_ranks_first():
    index = build()
    for query, row in [("p53 mutation", 3), ("vitamin D", 2), ("insulin", 5), ("aspirin heart attack", 1)]:
        _, rows = index.top(query, 3)
        assert rows[0] == row, query


def test_stemming_matches_other_forms_of_a_word():
    # "divides"/"divided"/"dividing" and "cell"/"cells" share stems, so the query need not repeat the text's form.
    _, rows = build().top("dividing cell", 1)
    assert list(rows) == [3]


def test_a_document_matching_more_query_terms_scores_higher():
    scores = build().scores("lower blood pressure")
    # Row 4 has all three terms, row 0 only "lower"; rows without any term score 0.
    assert scores[4] > scores[0] > 0
    assert scores[1] == scores[2] == scores[3] == scores[5] == 0


def test_scores_cover_every_row_as_float32():
    index = build()
    scores = index.scores("cholesterol")
    assert scores.shape == (len(ABSTRACTS),) and scores.dtype == np.float32
    assert len(index) == len(ABSTRACTS)


def test_top_returns_only_rows_that_match_best_first():
    scores, rows = build().top("adults", 10)
    # "adults" occurs in rows 0 and 4 only: k=10 must not pad with non-matching rows.
    assert sorted(rows.tolist()) == [0, 4]
    assert np.all(scores > 0) and np.all(np.diff(scores) <= 0)


def test_scores_are_identical_across_builds_and_calls():
    first, second = build(), build()
    for query in ("heart attack", "bone density elderly", "adults"):
        assert np.array_equal(first.scores(query), second.scores(query))
        assert np.array_equal(first.scores(query), first.scores(query))


@pytest.mark.parametrize("query", ["", "   ", "the of and", "xylophone quasar", "!!! ???"])
def test_queries_without_a_known_term_score_every_row_zero_and_find_nothing(query):
    index = build()
    scores = index.scores(query)
    assert scores.shape == (len(ABSTRACTS),) and not scores.any()
    found_scores, rows = index.top(query, 5)
    assert len(found_scores) == len(rows) == 0


def test_unknown_query_terms_are_ignored_rather_than_diluting_known_ones():
    index = build()
    assert np.array_equal(index.scores("insulin xylophone"), index.scores("insulin"))


def test_added_documents_are_findable_without_a_rebuild():
    index = build()
    index.add(["Zebrafish regenerate heart muscle after injury."])
    assert len(index) == len(ABSTRACTS) + 1
    _, rows = index.top("zebrafish regeneration", 3)
    assert list(rows) == [len(ABSTRACTS)]


def test_adding_gives_the_same_scores_as_building_everything_at_once():
    # BM25 weights depend on the whole collection (document frequency, mean length), so add must update them.
    grown = build(ABSTRACTS[:3])
    grown.add(ABSTRACTS[3:5])
    grown.add(ABSTRACTS[5:])
    whole = build()
    for query in ("adults", "heart attack insulin", "lower"):
        assert np.allclose(grown.scores(query), whole.scores(query), rtol=1e-6, atol=0)


def test_an_index_can_start_empty_and_grow():
    index = KeywordIndex("english").build([])
    assert len(index) == 0 and index.scores("anything").shape == (0,)
    index.add(["Aspirin reduces the risk of a heart attack."])
    assert list(index.top("aspirin", 5)[1]) == [0]
    never_built = KeywordIndex("english")
    never_built.add(["Insulin resistance precedes diabetes."])
    assert list(never_built.top("insulin", 5)[1]) == [0]


def test_a_text_with_no_terms_is_indexed_but_never_found():
    index = build(["the of and", "Aspirin and heart attack"])
    assert len(index) == 2
    assert list(index.top("aspirin", 5)[1]) == [1]


def test_a_saved_and_reloaded_index_scores_identically(tmp_path):
    index = build(k1=1.2, b=0.6)
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert (loaded.analyzer_name, loaded.k1, loaded.b, len(loaded)) == ("english", 1.2, 0.6, len(ABSTRACTS))
    for query in ("heart attack", "adults lower", "xylophone", ""):
        assert np.array_equal(loaded.scores(query), index.scores(query))


def test_an_empty_index_survives_saving(tmp_path):
    KeywordIndex("english").build([]).save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    assert len(loaded) == 0 and loaded.scores("aspirin").shape == (0,)


def test_a_loaded_index_grows_once_given_the_texts_it_was_built_from(tmp_path):
    build().save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw")
    with pytest.raises(ValueError, match=rf"pass the {len(ABSTRACTS)} texts it was built from as indexed_texts"):
        loaded.add(["Zebrafish regenerate heart muscle."])
    assert len(loaded) == len(ABSTRACTS)  # a refused add changes nothing
    loaded.add(["Zebrafish regenerate heart muscle."], indexed_texts=ABSTRACTS)
    whole = build([*ABSTRACTS, "Zebrafish regenerate heart muscle."])
    assert np.allclose(loaded.scores("zebrafish heart"), whole.scores("zebrafish heart"), rtol=1e-6, atol=0)


def test_bm25_parameters_change_the_scores():
    query = "heart attack"
    assert not np.allclose(build(k1=1.5, b=0.75).scores(query), build(k1=0.5, b=0.0).scores(query))


def test_the_whitespace_analyzer_matches_only_exact_lower_cased_tokens():
    index = build(["Cells divide", "cell division"], analyzer="whitespace")
    assert list(index.top("CELLS", 5)[1]) == [0]


def test_an_unknown_analyzer_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"Unknown analyzer 'klingon'.*english"):
        KeywordIndex("klingon")


def test_korean_queries_match_despite_particles_through_character_bigrams():
    # korean-ngram needs no dictionary (the Kiwi-based analyzers load a model for ~10 s; test_analyzers covers them).
    passages = ["임세영은 중국 광동성 남해현 출신으로 정육점을 경영하던 사람이었다.",
                "서울은 대한민국의 수도이며 한강이 흐른다.",
                "김치는 배추와 고춧가루로 만드는 한국의 발효 음식이다."]
    index = build(passages, analyzer="korean-ngram")
    assert index.top("임세영은 무엇을 경영하던 사람이었습니까?", 3)[1][0] == 0
    assert index.top("한국의 수도는 어디입니까?", 3)[1][0] == 1
    assert index.top("배추로 만든 음식", 3)[1][0] == 2


# top_k: the ranking helper used by keyword search and the hybrid index.

def test_top_k_orders_by_score_and_breaks_ties_by_lower_row():
    scores = np.array([0.5, 2.0, 0.5, 0.0, 2.0, 1.0], dtype=np.float32)
    values, rows = top_k(scores, 10)
    assert rows.tolist() == [1, 4, 5, 0, 2]
    assert values.tolist() == [2.0, 2.0, 1.0, 0.5, 0.5]


def test_top_k_keeps_the_k_best_even_when_ties_straddle_the_cut():
    scores = np.array([1.0, 3.0, 2.0, 2.0, 2.0, 0.0], dtype=np.float32)
    values, rows = top_k(scores, 3)
    assert len(rows) == 3 and rows[0] == 1
    assert values.tolist() == [3.0, 2.0, 2.0] and set(rows[1:]) <= {2, 3, 4}


def test_top_k_matches_a_full_sort_on_random_scores():
    rng = np.random.default_rng(7)
    scores = rng.random(1_000).astype(np.float32)
    scores[rng.random(1_000) < 0.3] = 0.0
    for k in (1, 10, 100, 2_000):
        values, rows = top_k(scores, k)
        expected = sorted(np.flatnonzero(scores > 0), key=lambda i: (-scores[i], i))[:k]
        assert rows.tolist() == [int(i) for i in expected]
        assert np.array_equal(values, scores[rows])


def test_top_k_of_nothing_positive_or_k_zero_is_empty():
    assert len(top_k(np.zeros(5, dtype=np.float32), 3)[1]) == 0
    assert len(top_k(np.array([1.0, 2.0], dtype=np.float32), 0)[1]) == 0
    assert len(top_k(np.zeros(0, dtype=np.float32), 3)[1]) == 0
