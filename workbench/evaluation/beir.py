"""BEIR-format retrieval data: ``corpus.jsonl``, ``queries.jsonl`` and a qrels TSV.

* ``queries.jsonl``: one ``{"_id": ..., "text": ...}`` per line;
* qrels: tab-separated ``query-id  corpus-id  score`` with a header line (BEIR),
  or TREC's four columns ``qid 0 docid grade`` (no header);
* the corpus is read by ``workbench.retrieval.Corpus.from_beir``.

``squad_to_beir`` turns a SQuAD-format file (such as KorQuAD) into this
layout: each paragraph is a document, each question a query whose relevant
document is its paragraph. Nothing here knows any particular dataset.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import InputError, MissingInputError
from workbench.jsonl import read_json, read_jsonl


@dataclass(frozen=True)
class Query:
    """One retrieval query."""

    id: str
    text: str


def load_queries(path: str | Path) -> list[Query]:
    """Queries from a BEIR ``queries.jsonl``, in file order. Raises ``InputError`` naming a malformed line."""
    return list(read_jsonl(Path(path), lambda item: Query(str(item["_id"]), str(item.get("text") or "")),
                           "BEIR queries", '{"_id": ..., "text": ...}'))


def load_qrels(path: str | Path) -> dict[str, dict[str, int]]:
    """Relevance judgements ``{query_id: {doc_id: grade}}`` from a BEIR TSV or a TREC qrels file."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"Qrels file not found: {path} (expected a BEIR qrels .tsv or TREC qrels)")
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            parts = line.split()
            if not parts:
                continue
            if number == 1 and not parts[-1].lstrip("-").isdigit():
                continue  # BEIR header: query-id corpus-id score
            try:
                if len(parts) == 3:
                    qid, doc, grade = parts
                elif len(parts) == 4:
                    qid, _, doc, grade = parts
                else:
                    raise ValueError(f"{len(parts)} columns")
                qrels[qid][doc] = int(grade)
            except ValueError as exc:
                raise InputError(f"{path}:{number}: not a qrels line ({exc}); expected 'query-id<TAB>corpus-id"
                                 f"<TAB>score' or 'qid 0 docid grade', got {line.strip()[:120]!r}") from exc
    return dict(qrels)


def squad_to_beir(squad_path: str | Path, out_dir: str | Path) -> Path:
    """Write ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/test.tsv`` for a SQuAD-format file; returns ``out_dir``.

    Document ids are ``<article index>-<paragraph index>``; the title is the article title.
    """
    path = Path(squad_path)
    data = read_json(path, "SQuAD", "a SQuAD-format object (e.g. KorQuAD)")
    if not isinstance(data, dict) or "data" not in data:
        raise InputError(f"{squad_path} is not SQuAD format (no top-level 'data' list)")
    out = Path(out_dir)
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as corpus, \
            (out / "queries.jsonl").open("w", encoding="utf-8") as queries, \
            (out / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for a, article in enumerate(data["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                doc_id = f"{a}-{p}"
                corpus.write(json.dumps({"_id": doc_id, "title": article.get("title", ""),
                                         "text": paragraph["context"]}, ensure_ascii=False) + "\n")
                for qa in paragraph["qas"]:
                    queries.write(json.dumps({"_id": qa["id"], "text": qa["question"]}, ensure_ascii=False) + "\n")
                    qrels.write(f"{qa['id']}\t{doc_id}\t1\n")
    return out
