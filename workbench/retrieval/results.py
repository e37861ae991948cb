"""What a search returns: ``Hit``s (one document each, with each stage's score) in a ``SearchResult``.

These types sit below everything that makes or reads hits (the index, fusion's
callers, rerankers, the confidence, the context builder), so those modules
need not import each other to name them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.retrieval.corpus import Chunk

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Hit:
    """One retrieved document: its best chunk, its final score and rank, and each stage's score."""

    doc_id: str
    title: str
    chunk: Chunk
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The text of the matching chunk."""
        return self.chunk.text

    def __repr__(self) -> str:
        stages = ", ".join(f"{k}={v:.3f}" for k, v in self.scores.items())
        return f"Hit(#{self.rank} {self.doc_id!r} {self.score:.3f} [{stages}] {self.title or self.text!r:.60})"


@dataclass
class SearchResult:
    """Hits for one query, best first, with timings (ms) of each stage and a confidence in [0, 1]."""

    query: str
    method: str
    hits: list[Hit]
    timings_ms: dict[str, float]
    confidence: float = 0.0
    note: str = ""

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Any:
        return iter(self.hits)

    @property
    def doc_ids(self) -> list[str]:
        """Document ids in rank order."""
        return [h.doc_id for h in self.hits]

    def to_frame(self) -> pd.DataFrame:
        """One row per hit: rank, doc id, title, score, each stage's score, and the chunk text."""
        import pandas as pd

        return pd.DataFrame([{"rank": h.rank, "doc_id": h.doc_id, "title": h.title, "score": h.score,
                              **{f"{k}_score": v for k, v in h.scores.items()}, "text": h.text} for h in self.hits])

    def __repr__(self) -> str:
        head = ", ".join(f"{h.doc_id}:{h.score:.3f}" for h in self.hits[:5])
        return (f"SearchResult({self.query!r:.60}, {self.method}, {len(self.hits)} hits [{head}], "
                f"confidence {self.confidence:.2f}, {self.timings_ms.get('total', 0):.1f} ms)")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{h.rank}</td><td>{html.escape(h.doc_id)}</td><td>{h.score:.3f}</td>"
            f"<td>{html.escape(h.title[:80])}</td><td>{html.escape(h.text[:200])}…</td></tr>" for h in self.hits[:10])
        return (f"<p><b>{html.escape(self.query)}</b>: {self.method}, {len(self.hits)} hits, confidence "
                f"{self.confidence:.2f}, {self.timings_ms.get('total', 0):.1f} ms</p>"
                f"<table><tr><th>#</th><th>doc</th><th>score</th><th>title</th><th>text</th></tr>{rows}</table>")
