"""The hybrid index: BM25 and dense search over one corpus, fused, optionally reranked.

    >>> index = HybridIndex.build(Corpus.from_beir("data/scifact"))   # doctest: +SKIP
    >>> index.search("statins lower LDL cholesterol", k=5)             # doctest: +SKIP

Both retrievers search chunks; each document is represented by its best
chunk, then the two document rankings are fused (``RetrievalConfig.fusion``).
``save(folder)`` writes the configuration, the corpus fingerprint, the
documents and both indexes; ``load(folder, corpus)`` refuses a corpus whose
fingerprint differs. ``add(documents)`` grows a built or loaded index.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.errors import InputError, MissingInputError, WorkbenchError
from workbench.retrieval.analyzers import ANALYZER_VERSION, detect_language
from workbench.retrieval.bm25 import KeywordIndex, top_k
from workbench.retrieval.confidence import confidence_of
from workbench.retrieval.corpus import DEFAULT_CHUNK_WORDS, DEFAULT_OVERLAP_WORDS, Chunk, Corpus, Document
from workbench.retrieval.dense import DEFAULT_EMBEDDING_MODEL, Encoder, VectorIndex
from workbench.retrieval.fusion import DEFAULT_RRF_K, FUSIONS, reciprocal_rank_fusion, weighted_score_fusion
from workbench.retrieval.results import Hit, SearchResult

if TYPE_CHECKING:
    from workbench.config import Settings
    from workbench.retrieval.rerank import Reranker

METHODS = ("bm25", "dense", "hybrid")
ENGLISH_ONLY_MODELS = frozenset({"all-MiniLM-L6-v2"})
FORMAT_VERSION = 1


class IndexMismatchError(WorkbenchError, ValueError):
    """A saved index was built from a different corpus (or configuration) than the one given."""


@dataclass(frozen=True)
class RetrievalConfig:
    """How a hybrid index is built and searched.

    Attributes:
        language: Keyword analyzer (``english``, ``korean``, ``korean-ngram``, ``whitespace``) or ``auto``
            (detected from the corpus at build time).
        chunk_words, overlap_words: Chunking of long documents.
        embedding_model: Packaged model name or sentence-transformers folder.
        index_kind: ``auto`` (exact up to ``ann_threshold`` vectors), ``flat``, ``ivf`` or ``hnsw``.
        ann_threshold: Vectors above which ``auto`` builds the approximate index ``ann``.
        ann: ``ivf`` or ``hnsw``.
        nprobe, ef_search: Search breadth of IVF and HNSW.
        fusion: ``rrf`` or ``weighted`` (min-max normalised scores).
        rrf_k: The RRF constant.
        weights: Weights of the (BM25, dense) lists in fusion; ``None`` (default) means (1, 1), except that an
            English-only embedding model on a Korean corpus gets weight 0 (its vectors do not
            carry meaning there: on KorQuAD, MiniLM alone scores nDCG@10 0.12 and drags hybrid from
            0.97 down to 0.86), so hybrid search is then BM25 alone. A dense weight of 0 skips dense search.
        depth: Documents each retriever contributes before fusion.
        bm25_k1, bm25_b: BM25 parameters.
    """

    language: str = "auto"
    chunk_words: int = DEFAULT_CHUNK_WORDS
    overlap_words: int = DEFAULT_OVERLAP_WORDS
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    index_kind: str = "auto"
    ann_threshold: int = 100_000
    ann: str = "ivf"
    nprobe: int = 32
    ef_search: int = 64
    fusion: str = "weighted"
    rrf_k: float = DEFAULT_RRF_K
    weights: tuple[float, float] | None = None
    depth: int = 100
    bm25_k1: float = 1.5
    bm25_b: float = 0.75

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise InputError(f"Unknown fusion {self.fusion!r}; choose one of {', '.join(FUSIONS)}")
        if self.weights is not None:
            object.__setattr__(self, "weights", tuple(float(w) for w in self.weights))
            if len(self.weights) != 2 or min(self.weights) < 0 or max(self.weights) <= 0:
                raise InputError(f"weights are (bm25, dense), non-negative, not both 0; got {self.weights}")
        if self.depth <= 0:
            raise InputError(f"depth must be positive, got {self.depth}")

    def resolved(self, language: str) -> RetrievalConfig:
        """This configuration with the language and the fusion weights decided for a corpus in ``language``."""
        weights = self.weights
        if weights is None:
            english_only = self.embedding_model.removeprefix("sentence-transformers/") in ENGLISH_ONLY_MODELS
            weights = (1.0, 0.0) if english_only and language.startswith("korean") else (1.0, 1.0)
        return dataclasses.replace(self, language=language, weights=weights)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **changes: Any) -> RetrievalConfig:
        """The configuration the settings describe (embedding model, ANN threshold and kind, fusion)."""
        from workbench.config import get_settings

        s = settings or get_settings()
        base = cls(embedding_model=s.embedding_model, ann_threshold=s.retrieval_ann_threshold,
                   ann=s.retrieval_ann, fusion=s.retrieval_fusion)
        return dataclasses.replace(base, **changes)

    def as_params(self) -> dict[str, Any]:
        """Flat parameters for MLflow."""
        return {f"ret_{k}": (",".join(map(str, v)) if isinstance(v, tuple) else v)
                for k, v in dataclasses.asdict(self).items()}


class HybridIndex:
    """BM25 + dense search over a corpus. Build with ``HybridIndex.build`` or read with ``HybridIndex.load``."""

    def __init__(self, corpus: Corpus, config: RetrievalConfig, keyword: KeywordIndex, vectors: VectorIndex,
                 encoder: Encoder, build_seconds: float = 0.0) -> None:
        self.corpus = corpus
        self.config = config if config.weights is not None else config.resolved(config.language)
        self.keyword = keyword
        self.vectors = vectors
        self.encoder = encoder
        self.build_seconds = build_seconds

    @property
    def weights(self) -> tuple[float, float]:
        """The (BM25, dense) fusion weights in force."""
        assert self.config.weights is not None  # resolved in __init__
        return self.config.weights

    # ----- building -----------------------------------------------------------------------------------------
    @classmethod
    def build(cls, corpus: Corpus, config: RetrievalConfig | None = None, *, encoder: Encoder | None = None,
              progress: bool = True) -> HybridIndex:
        """Index every chunk of ``corpus`` for keyword and dense search (a progress bar while encoding)."""
        config = config or RetrievalConfig.from_settings()
        if (corpus.chunk_words, corpus.overlap_words) != (config.chunk_words, config.overlap_words):
            corpus = Corpus(corpus.documents, chunk_words=config.chunk_words, overlap_words=config.overlap_words)
        language = config.language
        if language == "auto":
            language = detect_language(c.indexed_text for c in corpus.chunks)
        config = config.resolved(language)
        encoder = encoder or Encoder(config.embedding_model)
        started = time.perf_counter()
        texts = [c.indexed_text for c in corpus.chunks]
        keyword = KeywordIndex(config.language, k1=config.bm25_k1, b=config.bm25_b).build(texts)
        vectors = VectorIndex(encoder.dim, config.index_kind, ann_threshold=config.ann_threshold, ann=config.ann,
                              nprobe=config.nprobe, ef_search=config.ef_search)
        vectors.build(encoder.encode(texts, progress=progress, desc=f"encoding {len(texts)} chunks"))
        return cls(corpus, config, keyword, vectors, encoder, time.perf_counter() - started)

    def add(self, documents: Iterable[Document], *, progress: bool = False) -> int:
        """Add documents to the corpus and both indexes; returns the number of chunks added.

        The dense index grows in place; BM25 statistics are corpus-wide, so the keyword index is rebuilt.
        """
        indexed = [c.indexed_text for c in self.corpus.chunks]
        chunks = self.corpus.add(documents)
        texts = [c.indexed_text for c in chunks]
        self.keyword.add(texts, indexed_texts=indexed)
        self.vectors.add(self.encoder.encode(texts, progress=progress))
        return len(chunks)

    # ----- searching ----------------------------------------------------------------------------------------
    def search(self, query: str, k: int = 10, *, method: str = "hybrid", reranker: Reranker | None = None,
               depth: int | None = None) -> SearchResult:
        """The ``k`` best documents for ``query``.

        Args:
            query: Free text in the corpus language. A blank query returns no hits (and says so in ``note``).
            k: Documents to return.
            method: ``bm25``, ``dense`` or ``hybrid``.
            reranker: Reorders the fused candidates (see ``workbench.retrieval.rerank``).
            depth: Documents each retriever contributes (default: the larger of ``k`` and the config's depth).
        """
        if method not in METHODS:
            raise InputError(f"Unknown retrieval method {method!r}; choose one of {', '.join(METHODS)}")
        if k <= 0:
            raise InputError(f"k must be positive, got {k}")
        started = time.perf_counter()
        timings: dict[str, float] = {}
        if not query or not query.strip():
            return SearchResult(query, method, [], {"total": 0.0}, 0.0, note="empty query: nothing to search for")
        depth = max(k, depth or self.config.depth)
        chunk_depth = depth * max(1, -(-len(self.corpus.chunks) // max(1, len(self.corpus))))
        keyword: dict[str, tuple[int, float]] = {}
        dense: dict[str, tuple[int, float]] = {}
        if method == "bm25" or (method == "hybrid" and self.weights[0] > 0):
            t = time.perf_counter()
            scores, rows = top_k(self.keyword.scores(query), chunk_depth)
            keyword = _best_chunk_per_doc(self.corpus.chunks, rows, scores, depth)
            timings["bm25"] = _ms(t)
        if method == "dense" or (method == "hybrid" and self.weights[1] > 0):
            t = time.perf_counter()
            vector = self.encoder.encode_query(query)
            timings["encode"] = _ms(t)
            t = time.perf_counter()
            scores, rows = self.vectors.search(vector[None, :], chunk_depth)
            keep = rows[0] >= 0
            dense = _best_chunk_per_doc(self.corpus.chunks, rows[0][keep], scores[0][keep], depth)
            timings["dense"] = _ms(t)
        t = time.perf_counter()
        fused = self._fuse(method, keyword, dense)
        rerank_depth = reranker.depth if reranker is not None else 0
        candidates = [self._hit(doc, score, rank, keyword, dense)
                      for rank, (doc, score) in enumerate(fused[:max(k, rerank_depth)], 1)]
        hits = candidates[:k]
        timings["fuse"] = _ms(t)
        if reranker is not None and hits:
            # The reranker reorders the top ``depth`` fused documents; the rest keep their fused order below them.
            t = time.perf_counter()
            hits = (reranker.rerank(query, candidates[:rerank_depth]) + candidates[rerank_depth:])[:k]
            for rank, hit in enumerate(hits, 1):
                hit.rank = rank
            timings["rerank"] = _ms(t)
        timings["total"] = _ms(started)
        return SearchResult(query, method + ("+rerank" if reranker is not None else ""), hits, timings,
                            confidence_of(hits))

    def _fuse(self, method: str, keyword: dict[str, tuple[int, float]],
              dense: dict[str, tuple[int, float]]) -> list[tuple[str, float]]:
        if method == "bm25":
            return [(doc, score) for doc, (_, score) in keyword.items()]
        if method == "dense":
            return [(doc, score) for doc, (_, score) in dense.items()]
        if self.config.fusion == "rrf":
            return reciprocal_rank_fusion([list(keyword), list(dense)], self.config.rrf_k, self.weights)
        return weighted_score_fusion([{d: s for d, (_, s) in keyword.items()}, {d: s for d, (_, s) in dense.items()}],
                                     self.weights)


    def _hit(self, doc: str, score: float, rank: int, keyword: dict[str, tuple[int, float]],
             dense: dict[str, tuple[int, float]]) -> Hit:
        # The chunk shown is the one dense search liked best, else BM25's best.
        row = dense[doc][0] if doc in dense else keyword[doc][0]
        chunk = self.corpus.chunks[row]
        scores = {"fused": float(score)}
        if doc in keyword:
            scores["bm25"] = float(keyword[doc][1])
        if doc in dense:
            scores["dense"] = float(dense[doc][1])
        return Hit(doc, chunk.title, chunk, float(score), rank, scores)

    # ----- persistence --------------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write everything needed to search again into ``folder`` (replaced atomically); returns it."""
        folder = Path(folder)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        manifest = {
            "format": FORMAT_VERSION, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "fingerprint": self.corpus.fingerprint, "documents": len(self.corpus), "chunks": len(self.corpus.chunks),
            "config": dataclasses.asdict(self.config), "vector_index": self.vectors.resolved_kind,
            "dim": self.vectors.dim, "build_seconds": round(self.build_seconds, 3),
            "analyzer_version": ANALYZER_VERSION,
        }
        with (tmp / "documents.jsonl").open("w", encoding="utf-8") as out:
            for d in self.corpus.documents:
                out.write(json.dumps({"_id": d.id, "title": d.title, "text": d.text, "metadata": d.metadata},
                                     ensure_ascii=False, default=str) + "\n")
        self.keyword.save(tmp / "keyword")
        self.vectors.save(tmp / "vectors.faiss")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
        return folder

    @classmethod
    def load(cls, folder: str | Path, corpus: Corpus | None = None, *, encoder: Encoder | None = None) -> HybridIndex:
        """Read an index written by ``save``.

        With ``corpus``, its fingerprint must equal the one the index was built from, or
        ``IndexMismatchError`` is raised; without, the saved documents are used.
        """
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise MissingInputError(f"No saved index in {folder} (manifest.json missing); build one with "
                                    "HybridIndex.build(corpus).save(folder)")
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise IndexMismatchError(f"Index in {folder} has format {manifest.get('format')}, this workbench reads "
                                     f"format {FORMAT_VERSION}; rebuild it")
        if manifest.get("analyzer_version") != ANALYZER_VERSION:
            raise IndexMismatchError(f"Index in {folder} was tokenised by analyzer version "
                                     f"{manifest.get('analyzer_version')}; this workbench uses {ANALYZER_VERSION}. "
                                     "Rebuild it with HybridIndex.build(corpus).save(folder)")
        saved = manifest["config"]
        config = RetrievalConfig(**{**saved, "weights": tuple(saved["weights"]) if saved["weights"] else None})
        if corpus is None:
            corpus = Corpus.from_beir(folder / "documents.jsonl", chunk_words=config.chunk_words,
                                      overlap_words=config.overlap_words)
            if corpus.fingerprint != manifest["fingerprint"]:
                raise IndexMismatchError(f"{folder}/documents.jsonl does not match the index's fingerprint; the "
                                         "folder was changed after saving. Rebuild the index.")
        elif (corpus.chunk_words, corpus.overlap_words) != (config.chunk_words, config.overlap_words):
            corpus = Corpus(corpus.documents, chunk_words=config.chunk_words, overlap_words=config.overlap_words)
        if corpus.fingerprint != manifest["fingerprint"]:
            raise IndexMismatchError(
                f"The index in {folder} was built from a different corpus ({manifest['documents']} documents, "
                f"fingerprint {manifest['fingerprint'][:12]}) than the one given ({len(corpus)} documents, "
                f"fingerprint {corpus.fingerprint[:12]}). Rebuild it with HybridIndex.build(corpus).save(folder), "
                "or load it without a corpus to use the documents it was built from.")
        encoder = encoder or Encoder(config.embedding_model)
        keyword = KeywordIndex.load(folder / "keyword")
        vectors = VectorIndex.load(folder / "vectors.faiss", ann_threshold=config.ann_threshold, ann=config.ann,
                                   nprobe=config.nprobe, ef_search=config.ef_search)
        if len(vectors) != len(corpus.chunks) or len(keyword) != len(corpus.chunks):
            raise IndexMismatchError(f"Index in {folder} holds {len(vectors)} vectors and {len(keyword)} keyword "
                                     f"rows for {len(corpus.chunks)} chunks; it is damaged. Rebuild it.")
        return cls(corpus, config, keyword, vectors, encoder, manifest.get("build_seconds", 0.0))

    def __repr__(self) -> str:
        weights = "" if self.weights == (1.0, 1.0) else f" weights {self.weights}"
        return (f"HybridIndex({len(self.corpus)} documents, {len(self.corpus.chunks)} chunks, "
                f"{self.config.language} BM25 + {self.config.embedding_model} {self.vectors.resolved_kind}, "
                f"{self.config.fusion} fusion{weights})")

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>"


def _best_chunk_per_doc(chunks: Sequence[Chunk], rows: np.ndarray, scores: np.ndarray,
                        limit: int) -> dict[str, tuple[int, float]]:
    """From chunk rows sorted best first: each document's best ``(row, score)``, up to ``limit`` documents."""
    best: dict[str, tuple[int, float]] = {}
    for row, score in zip(rows.tolist(), scores.tolist(), strict=True):
        doc = chunks[row].doc_id
        if doc not in best:
            best[doc] = (row, score)
            if len(best) >= limit:
                break
    return best


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
