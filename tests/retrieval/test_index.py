"""The hybrid index: search methods, persistence, corpus mismatch refusal, growth, odd queries."""

from __future__ import annotations

import json

import pytest
from common import DATA

from workbench.evaluation.beir import load_qrels, load_queries, squad_to_beir
from workbench.retrieval.corpus import Corpus, Document
from workbench.retrieval.index import HybridIndex, IndexMismatchError, RetrievalConfig


@pytest.mark.parametrize(("method", "at_least"), [("bm25", 24), ("dense", 26), ("hybrid", 28)])
def test_each_method_finds_relevant_abstracts(scifact_index, scifact_sample, method, at_least):
    # Measured on this sample of 30 claims: bm25 26, dense 28, hybrid 30 found in the top 10.
    _, queries, qrels = scifact_sample
    found = 0
    for query in queries:
        result = scifact_index.search(query.text, k=10, method=method)
        assert result.method == method
        assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
        assert len(set(result.doc_ids)) == len(result.doc_ids)  # one hit per document, not per chunk
        found += bool(set(result.doc_ids) & set(qrels[query.id]))
    assert found >= at_least


def test_hybrid_hits_carry_each_stage_score_and_timings(scifact_index, scifact_sample):
    result = scifact_index.search(scifact_sample[1][0].text, k=5)
    top = result.hits[0]
    assert {"fused", "bm25", "dense"} <= set(top.scores)
    assert {"bm25", "encode", "dense", "fuse", "total"} <= set(result.timings_ms)
    assert 0.0 <= result.confidence <= 1.0


def test_saved_index_reloads_and_answers_identically(scifact_index, scifact_sample, tmp_path):
    corpus, queries, _ = scifact_sample
    folder = scifact_index.save(tmp_path / "idx")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["fingerprint"] == corpus.fingerprint and manifest["config"]["language"] == "english"
    for loaded in (HybridIndex.load(folder, corpus), HybridIndex.load(folder)):
        for q in queries[:3]:
            assert loaded.search(q.text).doc_ids == scifact_index.search(q.text).doc_ids


def test_loading_with_a_different_corpus_is_refused_with_the_fix(scifact_index, scifact_sample, tmp_path):
    corpus = scifact_sample[0]
    folder = scifact_index.save(tmp_path / "idx")
    other = Corpus(corpus.documents[:-1])
    with pytest.raises(IndexMismatchError, match=r"different corpus .* Rebuild it with HybridIndex.build"):
        HybridIndex.load(folder, other)
    with pytest.raises(FileNotFoundError, match=r"manifest\.json missing"):
        HybridIndex.load(tmp_path / "nothing-here")


def test_added_documents_become_searchable_and_survive_saving(tmp_path):
    docs = [Document(str(i), text) for i, text in enumerate([
        "Statins lower LDL cholesterol in adults.", "Aspirin reduces the risk of heart attack.",
        "Vitamin D and bone density in the elderly."])]
    index = HybridIndex.build(Corpus(docs), RetrievalConfig(language="english"), progress=False)
    assert index.add([Document("new", "Zebrafish regenerate their heart muscle after injury.")]) == 1
    assert index.search("zebrafish heart regeneration", k=1).doc_ids == ["new"]
    reloaded = HybridIndex.load(index.save(tmp_path / "grown"))
    assert len(reloaded.corpus) == 4
    assert reloaded.search("zebrafish heart regeneration", k=1).doc_ids == ["new"]


def test_empty_query_returns_no_hits_and_says_why(scifact_index):
    for query in ("", "   \n"):
        result = scifact_index.search(query)
        assert result.hits == [] and result.confidence == 0.0 and "empty query" in result.note


def test_very_long_query_still_searches(scifact_index, scifact_sample):
    doc = scifact_sample[0].documents[0]
    result = scifact_index.search((doc.title + " " + doc.text) * 20, k=5)
    assert result.doc_ids[0] == doc.id


def test_query_with_no_known_words_falls_back_to_dense(scifact_index):
    result = scifact_index.search("qwxz zzyzx", k=3)
    assert len(result.hits) == 3 and all("bm25" not in h.scores for h in result.hits)


def test_korean_corpus_is_detected_and_questions_find_their_paragraph(tmp_path):
    folder = squad_to_beir(DATA / "korquad" / "KorQuAD_v1.0_dev_subset.json", tmp_path / "korquad")
    corpus = Corpus.from_beir(folder)
    corpus = Corpus(corpus.documents[:40])
    qrels = load_qrels(folder / "qrels" / "test.tsv")
    queries = [q for q in load_queries(folder / "queries.jsonl") if next(iter(qrels[q.id])) in corpus][:20]
    index = HybridIndex.build(corpus, RetrievalConfig(), progress=False)
    assert index.config.language == "korean"
    # The packaged MiniLM is English-only: on Korean text hybrid search relies on BM25 alone.
    assert index.config.weights == (1.0, 0.0)
    assert "encode" not in index.search(queries[0].text).timings_ms
    found = sum(next(iter(qrels[q.id])) in index.search(q.text, k=3).doc_ids for q in queries)
    assert found >= 17, f"only {found} of {len(queries)} Korean questions found their paragraph in the top 3"


def test_bad_arguments_are_refused(scifact_index):
    with pytest.raises(ValueError, match="Unknown retrieval method 'sparse'"):
        scifact_index.search("x", method="sparse")
    with pytest.raises(ValueError, match="Unknown fusion"):
        RetrievalConfig(fusion="max")
