"""Corpus loading, chunking with offsets, and the fingerprint."""

from __future__ import annotations

import pandas as pd
import pytest
from common import SCIFACT

from workbench.retrieval.corpus import Corpus, Document, chunk_document


def test_beir_corpus_loads_every_document():
    corpus = Corpus.from_beir(SCIFACT / "corpus.jsonl")
    assert len(corpus) == 5183
    doc = corpus["4983"]
    assert doc.title.startswith("Microstructural development of human newborn")
    assert len(corpus.chunks) >= len(corpus)


def test_long_documents_are_chunked_with_overlap_and_exact_offsets():
    text = " ".join(f"w{i}" for i in range(1000))
    chunks = chunk_document(Document("d", text, "T"), chunk_words=300, overlap_words=50)
    assert [c.index for c in chunks] == [0, 1, 2, 3]
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert len(c.text.split()) <= 300
    assert chunks[0].text.split()[-50:] == chunks[1].text.split()[:50]
    assert chunks[-1].text.endswith("w999")
    assert chunks[0].indexed_text.startswith("T\n")


def test_short_and_empty_documents_are_one_chunk():
    assert len(chunk_document(Document("a", "short text"))) == 1
    assert chunk_document(Document("b", ""))[0].text == ""


def test_fingerprint_changes_with_content_and_chunking_but_not_with_identity():
    docs = [Document("1", "alpha"), Document("2", "beta")]
    assert Corpus(docs).fingerprint == Corpus(list(docs)).fingerprint
    assert Corpus(docs).fingerprint != Corpus([docs[0], Document("2", "beta!")]).fingerprint
    assert Corpus(docs).fingerprint != Corpus(docs, chunk_words=100).fingerprint
    grown = Corpus(docs[:1])
    grown.add(docs[1:])
    assert grown.fingerprint == Corpus(docs).fingerprint


def test_duplicate_or_empty_ids_are_refused():
    with pytest.raises(ValueError, match="Duplicate document id '1'"):
        Corpus([Document("1", "a"), Document("1", "b")])
    with pytest.raises(ValueError, match="empty id"):
        Corpus([Document("", "a")])


def test_folder_of_markdown_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.md").write_text("# Alpha notes\nAlpha is first.")
    (tmp_path / "sub" / "b.txt").write_text("Beta is second.")
    (tmp_path / "skip.bin").write_bytes(b"\x00")
    corpus = Corpus.from_folder(tmp_path)
    assert [d.id for d in corpus] == ["a.md", "sub/b.txt"]
    assert corpus["a.md"].title == "Alpha notes"
    with pytest.raises(ValueError, match=r"No \.rst files"):
        Corpus.from_folder(tmp_path / "sub", suffixes=(".rst",))


def test_dataframe_rows_become_documents_with_metadata():
    frame = pd.DataFrame({"key": [7, 8], "body": ["x y", "z"], "year": [2020, 2021]})
    corpus = Corpus.from_frame(frame, text="body", id="key")
    assert corpus["7"].text == "x y" and corpus["8"].metadata == {"year": 2021}
    with pytest.raises(ValueError, match="no column"):
        Corpus.from_frame(frame, text="missing")


def test_malformed_beir_line_names_file_and_line(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"_id": "1", "text": "ok"}\n{"text": "no id"}\n')
    with pytest.raises(ValueError, match=r"corpus.jsonl:2"):
        Corpus.from_beir(path)
