"""``workbench eval retrieval``: rank quality and latency of a retrieval method on BEIR-format files.

Writes ``OUTDIR/run.trec`` (``qid Q0 docid rank score tag``, top 100 per
query), ``OUTDIR/metrics.json`` (``ndcg@10``, ``recall@100``, ``mrr@10``,
``n``, ``latency_ms_p50``, ``latency_ms_p95``, ``index_build_s`` and the
configuration) and, with qrels, ``OUTDIR/per_query.jsonl``; logs the same to
MLflow as one run. Without qrels only the run is written.

Built indexes are cached under ``<cache_dir>/indexes`` keyed by the corpus
fingerprint and the index configuration, so comparing methods on one corpus
encodes it once; ``index_build_s`` is then the time the cached build took,
and ``index_cached`` says so.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError
from workbench.evaluation.beir import Query, load_qrels, load_queries
from workbench.evaluation.retrieval_metrics import score_run
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary, figure
from workbench.retrieval.cache import cached_index, config_dict
from workbench.retrieval.confidence import features

if TYPE_CHECKING:
    from workbench.retrieval.corpus import Corpus
    from workbench.retrieval.index import RetrievalConfig
    from workbench.retrieval.rerank import Reranker

RUN_DEPTH = 100
METHODS = ("bm25", "dense", "hybrid", "hybrid+rerank")


@dataclass(frozen=True, kw_only=True, eq=False)
class RetrievalSummary(Summary):
    """What ``evaluate_retrieval`` measured (``metrics.json``): rank quality (with qrels), how well the confidence
    separates good top hits from bad ones, latency, the index, and what ran."""

    n: int
    ndcg_at_10: float | None = figure(key="ndcg@10", optional=True)  # the rank figures need qrels
    recall_at_100: float | None = figure(key="recall@100", optional=True)
    mrr_at_10: float | None = figure(key="mrr@10", optional=True)
    confidence_auc: float | None = figure(optional=True)  # needs queries with good and with bad top hits
    confidence_mean_relevant_top: float | None = figure(optional=True)
    confidence_mean_irrelevant_top: float | None = figure(optional=True)
    latency_ms_p50: float
    latency_ms_p95: float
    index_build_s: float
    index_cached: bool
    method: str
    reranker: str
    documents: int
    chunks: int
    fingerprint: str
    corpus: str
    queries: str
    qrels: str | None
    limit: int | None
    vector_index: str
    config: dict[str, Any]
    queries_without_hits: int

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"retrieval: {self.method}, {self.n} queries"


def evaluate_retrieval(corpus: str | Path | Corpus, queries: str | Path | list[Query], out: str | Path, *,
                       qrels: str | Path | dict[str, dict[str, int]] | None = None, method: str = "hybrid",
                       reranker: str | Reranker | None = None, limit: int | None = None,
                       config: RetrievalConfig | None = None, index_cache: bool = True, lm_cache: bool = True,
                       settings: Settings | None = None, log: bool = True,
                       progress: bool = True) -> RetrievalSummary:
    """Search every query (the first ``limit`` with judgements, if given), score, and write the result files.

    Args:
        corpus: A BEIR ``corpus.jsonl`` (or a ready ``Corpus``).
        queries: A BEIR ``queries.jsonl`` (or a list of ``Query``).
        out: Output folder.
        qrels: A qrels file (or mapping); ``None`` writes the run only.
        method: ``bm25``, ``dense``, ``hybrid`` or ``hybrid+rerank``.
        reranker: For ``hybrid+rerank``: a spec for ``make_reranker`` (default ``lm``, the local LM) or a reranker.
        limit: Evaluate only the first ``limit`` queries (judged queries, when qrels are given).
        config: Index configuration (default: from the settings).
        index_cache: Reuse (and store) the built index under the cache folder.
        lm_cache: DSPy's response cache for an LM reranker; off makes its timings real.
    """
    from tqdm.auto import tqdm

    from workbench.retrieval.corpus import Corpus
    from workbench.retrieval.index import RetrievalConfig
    from workbench.retrieval.rerank import make_reranker

    if method not in METHODS:
        raise InputError(f"Unknown method {method!r}; choose one of {', '.join(METHODS)}")
    settings = settings or get_settings()
    config = config or RetrievalConfig.from_settings(settings)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    corpus_label = str(corpus) if not isinstance(corpus, Corpus) else f"<Corpus of {len(corpus)}>"
    if not isinstance(corpus, Corpus):
        corpus = Corpus.from_beir(corpus, chunk_words=config.chunk_words, overlap_words=config.overlap_words)
    query_list = queries if isinstance(queries, list) else load_queries(queries)
    judgements = qrels if isinstance(qrels, dict) or qrels is None else load_qrels(qrels)
    if judgements is not None:
        query_list = [q for q in query_list if any(g > 0 for g in judgements.get(q.id, {}).values())]
        if not query_list:
            raise InputError(f"None of the queries in {queries} has a relevant document in {qrels}; "
                             "are they the matching files?")
    if limit is not None:
        query_list = query_list[:limit]
    if judgements is not None:  # score exactly the queries searched
        judgements = {q.id: judgements[q.id] for q in query_list}

    rerank = None
    if method == "hybrid+rerank":  # checked before building the index, which can take minutes
        rerank = reranker if reranker is not None and not isinstance(reranker, str) else make_reranker(
            reranker or "lm", cache=lm_cache)
        if rerank is None:
            raise InputError("method hybrid+rerank needs a reranker other than 'none'")
    search_method = "hybrid" if method == "hybrid+rerank" else method
    index, cached = cached_index(corpus, config, settings, use_cache=index_cache, progress=progress)
    index.search("warm up", k=1, method=search_method)  # load models before timing

    run: dict[str, list[tuple[str, float]]] = {}
    signals: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    for query in tqdm(query_list, desc=f"retrieval eval ({method})", unit="query", disable=not progress):
        started = time.perf_counter()
        result = index.search(query.text, k=RUN_DEPTH, method=search_method, reranker=rerank)
        latencies.append((time.perf_counter() - started) * 1000)
        run[query.id] = [(h.doc_id, h.score) for h in result.hits]
        if result.hits:
            signals[query.id] = {"confidence": result.confidence,
                                 **dict(zip(("dense", "agree", "margin"), features(result.hits), strict=True))}

    tag = f"workbench-{method}"
    with (out / "run.trec").open("w", encoding="utf-8") as trec:
        for qid, ranked in run.items():
            for rank, (doc, score) in enumerate(ranked, 1):
                trec.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n")
    scores: dict[str, Any] = {"n": len(query_list)}
    if judgements is not None:
        ranks, per_query = score_run({q: [d for d, _ in r] for q, r in run.items()}, judgements)
        scores.update(n=ranks["n"], ndcg_at_10=ranks["ndcg@10"], recall_at_100=ranks["recall@100"],
                      mrr_at_10=ranks["mrr@10"])
        for qid, values in per_query.items():
            top = run.get(qid, [("", 0.0)])[0][0] if run.get(qid) else ""
            values["top_relevant"] = float(judgements[qid].get(top, 0) > 0)
            values.update(signals.get(qid, {"confidence": 0.0}))
        scores.update(confidence_separation(per_query.values()))
        with (out / "per_query.jsonl").open("w", encoding="utf-8") as lines:
            for qid, values in per_query.items():
                lines.write(json.dumps({"qid": qid, **{k: round(v, 4) for k, v in values.items()}}) + "\n")
    summary = RetrievalSummary(
        **scores,
        latency_ms_p50=round(percentile(latencies, 0.5), 2),
        latency_ms_p95=round(percentile(latencies, 0.95), 2),
        index_build_s=round(index.build_seconds, 2), index_cached=cached,
        method=method, reranker=getattr(rerank, "name", "none"), documents=len(corpus),
        chunks=len(corpus.chunks), fingerprint=corpus.fingerprint, corpus=corpus_label,
        queries=str(queries) if not isinstance(queries, list) else f"<{len(queries)} queries>",
        qrels=str(qrels) if qrels is not None and not isinstance(qrels, dict) else None,
        limit=limit, vector_index=index.vectors.resolved_kind, config=config_dict(index.config),
        queries_without_hits=sum(1 for r in run.values() if not r),
    )
    summary.write(out / "metrics.json", ensure_ascii=False)
    if log:
        _log(summary, index.config, out, settings)
    return summary


def confidence_separation(records: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """How well ``confidence`` separates queries whose top hit is relevant from the rest.

    ``confidence_auc`` is the ROC AUC (the chance that a query with a relevant top hit gets a higher
    confidence than one without; 0.5 is no separation), with the mean confidence of each group.
    """
    records = list(records)
    pos = [r["confidence"] for r in records if r["top_relevant"]]
    neg = [r["confidence"] for r in records if not r["top_relevant"]]
    if not pos or not neg:
        return {}
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return {"confidence_auc": round(wins / (len(pos) * len(neg)), 4),
            "confidence_mean_relevant_top": round(statistics.fmean(pos), 4),
            "confidence_mean_irrelevant_top": round(statistics.fmean(neg), 4)}


def _log(s: RetrievalSummary, config: RetrievalConfig, out: Path, settings: Settings) -> None:
    from workbench.tracking import log_run

    figures = ("n", "ndcg_at_10", "recall_at_100", "mrr_at_10", "confidence_auc", "confidence_mean_relevant_top",
               "confidence_mean_irrelevant_top", "latency_ms_p50", "latency_ms_p95", "index_build_s", "documents",
               "chunks", "queries_without_hits")
    log_run("retrieval-eval", run_name=f"{s.method}-{Path(s.corpus).parent.name or 'corpus'}-n{s.n}",
            settings=settings,
            params={"method": s.method, "reranker": s.reranker, "corpus": s.corpus, "queries": s.queries,
                    "qrels": s.qrels, "limit": s.limit, "fingerprint": s.fingerprint[:16],
                    "vector_index": s.vector_index, **config.as_params()},
            metrics={name: float(getattr(s, name)) for name in figures if getattr(s, name) is not None},
            artifacts=[out / name for name in ("run.trec", "metrics.json", "per_query.jsonl")
                       if (out / name).is_file()])
