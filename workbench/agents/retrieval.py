"""InformationRetrievalAgent: a question → hybrid search → a cited context with a confidence.

``await agent.execute("question")`` returns a ``RetrievalResult``: the context
text with numbered sources (``[1] title (doc id)``), the sources with their
scores, the confidence that the top source is relevant
(``workbench.retrieval.confidence``), timings and the raw hits. Search runs in
a worker thread, so the event loop stays free while it works. In a notebook
the result shows its sources as a table.
"""

from __future__ import annotations

import asyncio
import html
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.agents.result import TraceEventSpec
from workbench.errors import MissingInputError
from workbench.retrieval.context import Context, Source, build_context
from workbench.retrieval.corpus import Corpus
from workbench.retrieval.index import HybridIndex, RetrievalConfig
from workbench.retrieval.results import SearchResult

if TYPE_CHECKING:
    import pandas as pd

    from workbench.retrieval.rerank import Reranker

EVIDENCE_CHARS = 3000  # of the context the judge and the answer writer read
RECORD_TEXT_CHARS = 600  # of each source's text in the checkpointed record


@dataclass(frozen=True)
class RetrievalTask:
    """A query for the retrieval agent; ``k`` overrides the agent's number of sources."""

    query: str
    k: int | None = None


@dataclass
class RetrievalResult:
    """What the agent found: context with citations, sources, confidence, timings and the search result."""

    query: str
    context: str
    sources: list[Source]
    confidence: float
    method: str
    timings_ms: dict[str, float]
    search: SearchResult | None = None
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the search ran and found at least one source."""
        return not self.error and bool(self.sources)

    def evidence(self) -> str:
        """The confidence and the cited context (or that nothing was found), as the judge and writer read them."""
        if not self.sources:
            return f"No sources found ({self.error or 'no match'})"
        return f"Confidence {self.confidence:.2f}\n{self.context[:EVIDENCE_CHARS]}"

    def record(self) -> dict[str, Any]:
        """A ``sources`` record: the confidence and each source's number, id, title, score and text (cut)."""
        return {"type": "sources", "confidence": round(float(self.confidence), 4),
                "sources": [{"number": s.number, "doc_id": s.doc_id, "title": s.title, "score": round(s.score, 4),
                             "text": s.text[:RECORD_TEXT_CHARS]} for s in self.sources]}

    def trace_events(self) -> list[TraceEventSpec]:
        """One ``retrieval`` event: the query, hit count, confidence, and each source's id, score and title."""
        return [("retrieval", {"query": self.query, "hits": len(self.sources),
                               "confidence": round(float(self.confidence), 4),
                               "doc_ids": [s.doc_id for s in self.sources],
                               "scores": [round(float(s.score), 4) for s in self.sources],
                               "titles": [str(s.title)[:120] for s in self.sources]})]

    def to_frame(self) -> pd.DataFrame:
        """One row per source: number, doc id, title, score, text."""
        import pandas as pd

        return pd.DataFrame([{"source": s.number, "doc_id": s.doc_id, "title": s.title, "score": round(s.score, 4),
                              "text": s.text} for s in self.sources])

    def __repr__(self) -> str:
        return (f"RetrievalResult({self.query!r:.60}, {len(self.sources)} sources, confidence {self.confidence:.2f}, "
                f"{self.timings_ms.get('total', 0):.0f} ms{', error: ' + self.error if self.error else ''})")

    def _repr_html_(self) -> str:
        head = (f"<h4>{html.escape(self.query)}</h4><p>{self.method}: {len(self.sources)} sources, confidence "
                f"<b>{self.confidence:.2f}</b>, {self.timings_ms.get('total', 0):.0f} ms</p>")
        if self.error:
            return head + f"<p style='color:#b00'>{html.escape(self.error)}</p>"
        rows = "".join(f"<tr><td>[{s.number}]</td><td>{html.escape(s.doc_id)}</td><td>{s.score:.3f}</td>"
                       f"<td>{html.escape(s.title[:80])}</td><td>{html.escape(s.text[:240])}"
                       f"{'…' if len(s.text) > 240 else ''}</td></tr>" for s in self.sources)
        return (head + "<table><tr><th></th><th>doc</th><th>score</th><th>title</th><th>text</th></tr>"
                f"{rows}</table>")


class InformationRetrievalAgent:
    """Finds passages for a question in one document collection and returns them as a cited context.

    Args:
        index: A ``HybridIndex``; a ``Corpus`` (indexed now); a saved index folder; a BEIR ``corpus.jsonl``;
            or a folder of text/markdown files.
        k: Sources in the context.
        method: ``hybrid``, ``bm25`` or ``dense``.
        reranker: A reranker, or a spec for ``make_reranker``: ``none`` (default), ``lm``, ``lm:<model>``,
            ``cross-encoder:<folder>``.
        token_budget: Most tokens of context.
        config: Index configuration when the agent builds the index.
        about: What the collection is, for the planner (e.g. "biomedical research abstracts").
    """

    name = "retrieval"
    DESCRIPTION = ("Searches a collection of documents (keyword and semantic search) and returns the most "
                   "relevant passages with numbered sources and a confidence. Use it for questions answered by text.")

    def __init__(self, index: HybridIndex | Corpus | str | Path, *, k: int = 5, method: str = "hybrid",
                 reranker: Reranker | str | None = None, token_budget: int = 1500,
                 config: RetrievalConfig | None = None, about: str = "") -> None:
        from workbench.retrieval.rerank import make_reranker

        self.index = _as_index(index, config)
        self.k = k
        self.method = method
        self.reranker = reranker if reranker is not None and not isinstance(reranker, str) else make_reranker(
            reranker)
        self.token_budget = token_budget
        self.about = about

    @property
    def description(self) -> str:
        """What the planner reads: what the agent does, what the collection is, and its size."""
        about = f" The collection: {self.about}" if self.about else " The collection"
        return f"{self.DESCRIPTION}{about} ({len(self.index.corpus):,} documents)."

    def search(self, task: str | RetrievalTask) -> RetrievalResult:
        """Search synchronously (``execute`` is the async form)."""
        task = task if isinstance(task, RetrievalTask) else RetrievalTask(str(task))
        started = time.perf_counter()
        try:
            result = self.index.search(task.query, k=task.k or self.k, method=self.method, reranker=self.reranker)
        except Exception as exc:  # a failing search is reported, never raised into the supervisor
            return RetrievalResult(task.query, "", [], 0.0, self.method, {"total": _ms(started)},
                                   error=f"{type(exc).__name__}: {exc}")
        context: Context = build_context(result.hits, self.token_budget)
        timings = {**result.timings_ms, "total": _ms(started)}
        return RetrievalResult(task.query, context.text, context.sources, result.confidence, result.method, timings,
                               result, error="" if result.hits else (result.note or "no matching documents"),
                               extra={"context_tokens": context.tokens, "context_truncated": context.truncated})

    async def execute(self, task: str | RetrievalTask) -> RetrievalResult:
        """Search in a worker thread and return the cited context."""
        return await asyncio.to_thread(self.search, task)

    def health(self) -> dict[str, Any]:
        """Whether the agent can serve: the index is loaded and not empty."""
        return {"ok": len(self.index.corpus) > 0, "documents": len(self.index.corpus),
                "chunks": len(self.index.corpus.chunks)}

    def __repr__(self) -> str:
        rerank = getattr(self.reranker, "name", "none")
        return f"InformationRetrievalAgent({self.index!r}, k={self.k}, {self.method}, rerank={rerank})"


def _as_index(source: HybridIndex | Corpus | str | Path, config: RetrievalConfig | None) -> HybridIndex:
    if isinstance(source, HybridIndex):
        return source
    if isinstance(source, Corpus):
        return HybridIndex.build(source, config)
    path = Path(source)
    if (path / "manifest.json").is_file():
        return HybridIndex.load(path)
    if (path.is_file() and path.suffix == ".jsonl") or (path / "corpus.jsonl").is_file():
        return HybridIndex.build(Corpus.from_beir(path), config)
    if path.is_dir():
        return HybridIndex.build(Corpus.from_folder(path), config)
    raise MissingInputError(f"{source!s} is not a saved index folder, a BEIR corpus.jsonl or a folder of text files")


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
