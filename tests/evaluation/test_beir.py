"""BEIR files: queries, qrels in BEIR and TREC layouts, and SQuAD conversion."""

from __future__ import annotations

import json

import pytest
from common import DATA, SCIFACT

from workbench.evaluation.beir import load_qrels, load_queries, squad_to_beir


def test_scifact_queries_and_qrels():
    queries = load_queries(SCIFACT / "queries.jsonl")
    qrels = load_qrels(SCIFACT / "qrels" / "train.tsv")
    assert len(queries) == 809 and queries[0].text == "0-dimensional biomaterials lack inductive properties."
    assert qrels["0"] == {"31715818": 1}
    assert sum(len(v) for v in qrels.values()) == 919


def test_trec_qrels_and_bad_lines(tmp_path):
    path = tmp_path / "qrels.txt"
    path.write_text("q1 0 d1 2\nq1 0 d2 0\n")
    assert load_qrels(path) == {"q1": {"d1": 2, "d2": 0}}
    path.write_text("query-id\tcorpus-id\tscore\nq1\td1\n")
    with pytest.raises(ValueError, match=r"qrels.txt:2"):
        load_qrels(path)
    with pytest.raises(FileNotFoundError, match="Qrels file not found"):
        load_qrels(tmp_path / "none.tsv")


def test_squad_becomes_paragraph_documents_and_question_queries(tmp_path):
    out = squad_to_beir(DATA / "korquad" / "KorQuAD_v1.0_dev_subset.json", tmp_path / "kq")
    corpus = [json.loads(line) for line in (out / "corpus.jsonl").open(encoding="utf-8")]
    queries = load_queries(out / "queries.jsonl")
    qrels = load_qrels(out / "qrels" / "test.tsv")
    assert len(corpus) == 253 and len(queries) == 1710
    assert corpus[0]["_id"] == "0-0" and corpus[0]["title"] == "린스룽"
    assert qrels[queries[0].id] == {"0-0": 1}
