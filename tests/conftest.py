"""Shared fixtures: a private Spider database, isolated settings, and a fixed SciFact sample and index.

Helpers that tests import (data paths, the recorded-response llama) live in ``tests/common.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from common import SCIFACT, SPIDER

import workbench


@pytest.fixture
def spider_db(tmp_path: Path) -> Path:
    """A private copy of Spider's concert_singer SQLite database."""
    target = tmp_path / "concert_singer.sqlite"
    shutil.copy(SPIDER / "database" / "concert_singer" / "concert_singer.sqlite", target)
    return target


@pytest.fixture
def settings(tmp_path: Path) -> workbench.Settings:
    """Settings whose MLflow store lives in a temporary folder; the model cache stays shared."""
    return workbench.Settings.from_env(home=tmp_path)


SAMPLE_QUERIES = 30
SAMPLE_DISTRACTORS = 170


@pytest.fixture(scope="session")
def scifact_sample() -> tuple[Any, list[Any], dict[str, dict[str, int]]]:
    """A fixed SciFact sample: the first 30 judged queries, their relevant documents and 170 other documents."""
    from workbench.evaluation.beir import load_qrels, load_queries
    from workbench.retrieval.corpus import Corpus

    full = Corpus.from_beir(SCIFACT)
    qrels = load_qrels(SCIFACT / "qrels" / "train.tsv")
    queries = [q for q in load_queries(SCIFACT / "queries.jsonl") if q.id in qrels][:SAMPLE_QUERIES]
    wanted = {doc for q in queries for doc in qrels[q.id]}
    others = [d.id for d in full.documents if d.id not in wanted][:SAMPLE_DISTRACTORS]
    keep = wanted | set(others)
    corpus = Corpus(d for d in full.documents if d.id in keep)
    return corpus, queries, {q.id: qrels[q.id] for q in queries}


@pytest.fixture(scope="session")
def scifact_index(scifact_sample: tuple[Any, list[Any], dict[str, dict[str, int]]]) -> Any:
    """A hybrid index over the SciFact sample (built once per test session, with the real MiniLM)."""
    from workbench.retrieval.index import HybridIndex, RetrievalConfig

    return HybridIndex.build(scifact_sample[0], RetrievalConfig(), progress=False)
