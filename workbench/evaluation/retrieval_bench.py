"""``workbench bench retrieval``: hybrid query latency, build time and memory as the corpus grows.

At each size the benchmark builds a real ``HybridIndex`` over synthetic data
and times ``index.search(query, method="hybrid")``, the same code path users
run, end to end (query encoding with the real MiniLM model, BM25, FAISS,
fusion; no reranking):

* vectors: a Gaussian mixture (1,024 clusters, L2-normalised, 384
  dimensions), since encoding a million real documents would take a day on
  two cores;
* documents: 40 words drawn from a Zipf distribution over a 30,000-word
  vocabulary, indexed by BM25 with the ``whitespace`` analyzer;
* queries: 5 words from the same distribution.

The vector index is whatever the configuration chooses for that size (exact
up to ``ann_threshold``, IVF above); for approximate indexes the share of the
exact top 10 it finds (``ann_recall@10``) is reported too. ``rss_mb`` is the
process's resident memory after building and querying that size.
Results go to ``OUTDIR/summary.json`` and MLflow.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.config import Settings, get_settings
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary, figure

DEFAULT_SIZES = (5_000, 100_000, 1_000_000)
DIM = 384
VOCAB = 30_000
DOC_WORDS = 40
CLUSTERS = 1024


@dataclass(frozen=True, kw_only=True, eq=False)
class RetrievalBenchRow(Summary):
    """One size of ``bench_retrieval`` (a row of ``summary.json``): the vector index chosen, query latency,
    build time, resident memory and, for an approximate index, the share of the exact top 10 it finds."""

    HEADLINE = ("size", "index", "latency_ms_p50", "latency_ms_p95", "build_s", "rss_mb", "ann_recall@10")

    size: int
    index: str
    latency_ms_p50: float
    latency_ms_p95: float
    build_s: float
    rss_mb: int
    ann_recall_at_10: float | None = figure(key="ann_recall@10", optional=True)  # approximate indexes only

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"hybrid retrieval at {self.size:,} documents"


def synthetic_vectors(n: int, seed: int = 0, dim: int = DIM, batch: int = 100_000) -> np.ndarray:
    """``n`` L2-normalised vectors from a Gaussian mixture of ``CLUSTERS`` clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLUSTERS, dim)).astype(np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, batch):
        size = min(batch, n - start)
        block = centres[rng.integers(0, CLUSTERS, size)] + 0.6 * rng.standard_normal((size, dim)).astype(np.float32)
        out[start:start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def synthetic_terms(n: int, words: int, seed: int = 1) -> list[list[str]]:
    """``n`` documents of ``words`` terms drawn from a Zipf(1.1) distribution over ``VOCAB`` words."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(VOCAB)], dtype=object)
    ranks = np.arange(1, VOCAB + 1)
    p = 1.0 / ranks**1.1
    p /= p.sum()
    ids = rng.choice(VOCAB, size=(n, words), p=p)
    return [list(row) for row in vocab[ids]]


def bench_retrieval(out: str | Path, sizes: tuple[int, ...] = DEFAULT_SIZES, *, queries: int = 200,
                    ann: str | None = None, settings: Settings | None = None, log: bool = True,
                    progress: bool = True) -> list[RetrievalBenchRow]:
    """Build, query and measure a hybrid index at each size; returns (and writes) the summary rows."""
    import psutil
    from tqdm.auto import tqdm

    from workbench.retrieval.bm25 import KeywordIndex
    from workbench.retrieval.corpus import Corpus, Document
    from workbench.retrieval.dense import Encoder, VectorIndex
    from workbench.retrieval.index import HybridIndex, RetrievalConfig

    settings = settings or get_settings()
    config = RetrievalConfig.from_settings(settings, language="whitespace", weights=(1.0, 1.0))
    if ann:
        config = dataclasses.replace(config, ann=ann)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    encoder = Encoder(config.embedding_model)
    query_texts = [" ".join(t) for t in synthetic_terms(queries, 5, seed=7)]
    process = psutil.Process()
    rows: list[RetrievalBenchRow] = []
    for size in sizes:
        vectors = synthetic_vectors(size)
        terms = synthetic_terms(size, DOC_WORDS)
        corpus = Corpus(Document(str(i), " ".join(t)) for i, t in enumerate(
            tqdm(terms, desc=f"{size:,} documents", unit="doc", disable=not progress)))
        started = time.perf_counter()
        keyword = KeywordIndex("whitespace", k1=config.bm25_k1, b=config.bm25_b).build_from_terms(terms)
        dense = VectorIndex(DIM, config.index_kind, ann_threshold=config.ann_threshold, ann=config.ann,
                            nprobe=config.nprobe, ef_search=config.ef_search).build(vectors)
        build_s = time.perf_counter() - started
        index = HybridIndex(corpus, config, keyword, dense, encoder, build_s)
        for text in query_texts[:10]:
            index.search(text, k=10)
        latencies = []
        for text in tqdm(query_texts, desc=f"querying {size:,}", unit="query", disable=not progress):
            t = time.perf_counter()
            index.search(text, k=10)
            latencies.append((time.perf_counter() - t) * 1000)
        row = RetrievalBenchRow(
            size=size, index=dense.resolved_kind,
            latency_ms_p50=round(percentile(latencies, 0.5), 2),
            latency_ms_p95=round(percentile(latencies, 0.95), 2),
            build_s=round(build_s, 2), rss_mb=round(process.memory_info().rss / 2**20),
            ann_recall_at_10=_ann_recall(dense, vectors) if dense.resolved_kind != "flat" else None,
        )
        rows.append(row)
        print(_format_row(row), flush=True)
        del vectors, terms, corpus, keyword, dense, index
        gc.collect()
    (out / "summary.json").write_text(json.dumps([r.as_dict() for r in rows], indent=2) + "\n")
    if log:
        _log(rows, config, out, settings)
    return rows


def _ann_recall(dense: Any, vectors: np.ndarray, n: int = 200, seed: int = 3) -> float:
    """Share of the exact top-10 neighbours the approximate index returns, for ``n`` perturbed stored vectors."""
    rng = np.random.default_rng(seed)
    probe = vectors[rng.choice(len(vectors), n, replace=False)] + 0.3 * rng.standard_normal(
        (n, vectors.shape[1])).astype(np.float32)
    probe /= np.linalg.norm(probe, axis=1, keepdims=True)
    _, approximate = dense.search(probe, 10)
    exact = np.argsort(-(probe @ vectors.T), axis=1)[:, :10]
    return round(float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact, strict=True)])), 4)


HEADER = f"{'size':>10}  {'index':<6}{'p50 ms':>9}{'p95 ms':>9}{'build s':>9}{'RSS MB':>8}  ANN recall@10"


def _format_row(row: RetrievalBenchRow) -> str:
    recall = f"{row.ann_recall_at_10:.3f}" if row.ann_recall_at_10 is not None else "exact"
    return (f"{row.size:>10,}  {row.index:<6}{row.latency_ms_p50:>9.2f}{row.latency_ms_p95:>9.2f}"
            f"{row.build_s:>9.1f}{row.rss_mb:>8}  {recall}")


def format_table(rows: list[RetrievalBenchRow]) -> str:
    """The summary rows as a text table."""
    return "\n".join([HEADER, *(_format_row(r) for r in rows)])


def _log(rows: list[RetrievalBenchRow], config: Any, out: Path, settings: Settings) -> None:
    from workbench.tracking import log_run

    metrics = {f"{name}_{r.size}": getattr(r, name) for r in rows
               for name in ("latency_ms_p50", "latency_ms_p95", "build_s", "rss_mb")}
    log_run("retrieval-bench", run_name="hybrid-scale", settings=settings,
            params={"sizes": ",".join(str(r.size) for r in rows), **config.as_params()}, metrics=metrics,
            artifacts=[out / "summary.json"])
