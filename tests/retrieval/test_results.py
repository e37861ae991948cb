"""Search results show themselves: hits in rank order with each stage's score, as a table, text and HTML."""

from __future__ import annotations

from workbench.retrieval.corpus import Chunk
from workbench.retrieval.results import Hit, SearchResult


def _result() -> SearchResult:
    hits = [Hit("d7", "Statins", Chunk("d7", 0, 0, 28, "Statins lower LDL <cholesterol>"), 0.9, 1,
                {"bm25": 11.2, "dense": 0.61}),
            Hit("d2", "", Chunk("d2", 3, 40, 60, "Diet and exercise"), 0.4, 2, {"bm25": 3.5, "dense": 0.2})]
    return SearchResult("do statins lower LDL?", "hybrid", hits, {"total": 12.34}, confidence=0.8)


def test_a_result_iterates_its_hits_best_first_and_names_their_documents():
    result = _result()
    assert len(result) == 2 and [h.rank for h in result] == [1, 2] and result.doc_ids == ["d7", "d2"]
    assert result.hits[0].text == "Statins lower LDL <cholesterol>"


def test_a_result_becomes_a_table_with_one_column_per_stage():
    frame = _result().to_frame()
    assert list(frame.columns) == ["rank", "doc_id", "title", "score", "bm25_score", "dense_score", "text"]
    assert frame.loc[1, "doc_id"] == "d2" and frame.loc[0, "bm25_score"] == 11.2


def test_text_and_html_views_say_what_was_found_and_how_sure():
    result = _result()
    assert repr(result) == ("SearchResult('do statins lower LDL?', hybrid, 2 hits [d7:0.900, d2:0.400], "
                            "confidence 0.80, 12.3 ms)")
    assert repr(result.hits[0]) == "Hit(#1 'd7' 0.900 [bm25=11.200, dense=0.610] 'Statins')"
    page = result._repr_html_()
    assert "confidence 0.80" in page and "&lt;cholesterol&gt;" in page and "<cholesterol>" not in page
