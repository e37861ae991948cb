"""Turning hits into an LM-ready context with numbered source citations, within a token budget.

Each source is a block ``[n] title (doc id)`` followed by its chunk text. Hits
are added best first while they fit; the first hit that does not fit is cut
at a word boundary if at least ``min_tokens`` of budget remain, and nothing
after it is added. Token counts use ``estimate_tokens`` unless a counter
(e.g. the LM's own tokenizer) is given.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.retrieval.results import Hit

_PIECE = re.compile(r"[\uac00-\ud7a3\u3040-\u30ff\u4e00-\u9fff]|\w+|[^\w\s]")
_WIDE = re.compile(r"[\uac00-\ud7a3\u3040-\u30ff\u4e00-\u9fff]")


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate of LM tokens: 1.3 per word or symbol, 1 per Hangul/CJK character."""
    pieces = _PIECE.findall(text)
    wide = sum(1 for p in pieces if _WIDE.fullmatch(p))
    return math.ceil((len(pieces) - wide) * 1.3) + wide


@dataclass(frozen=True)
class Source:
    """One cited source: its citation number, document, score, and the text put in the context."""

    number: int
    doc_id: str
    title: str
    score: float
    text: str
    start: int
    end: int
    truncated: bool = False

    def citation(self) -> str:
        """``[n] title (doc id)``."""
        title = f"{self.title} " if self.title else ""
        return f"[{self.number}] {title}(doc {self.doc_id})"


@dataclass(frozen=True)
class Context:
    """The context text, its sources in citation order, its token count, and whether hits were left out or cut."""

    text: str
    sources: list[Source]
    tokens: int
    truncated: bool

    def _repr_html_(self) -> str:
        items = "".join(f"<li><b>{html.escape(s.citation())}</b> score {s.score:.3f}: "
                        f"{html.escape(s.text[:240])}{'…' if len(s.text) > 240 else ''}</li>" for s in self.sources)
        return f"<p>{len(self.sources)} sources, {self.tokens} tokens</p><ol>{items}</ol>"


def build_context(hits: Sequence[Hit], token_budget: int = 1500, *, min_tokens: int = 48,
                  count_tokens: Callable[[str], int] = estimate_tokens) -> Context:
    """Numbered source blocks for ``hits`` (best first) that fit in ``token_budget`` tokens."""
    if token_budget <= 0:
        raise ValueError(f"token_budget must be positive, got {token_budget}")
    blocks: list[str] = []
    sources: list[Source] = []
    used = 0
    truncated = False
    for hit in hits:
        number = len(sources) + 1
        source = Source(number, hit.doc_id, hit.title, hit.score, hit.text, hit.chunk.start, hit.chunk.end)
        block = f"{source.citation()}\n{hit.text}"
        cost = count_tokens(block) + (1 if blocks else 0)
        if used + cost > token_budget:
            truncated = True
            room = token_budget - used - count_tokens(source.citation()) - 2
            if room >= min_tokens:
                text = _cut(hit.text, room, count_tokens)
                source = Source(number, hit.doc_id, hit.title, hit.score, text, hit.chunk.start,
                                hit.chunk.start + len(text), truncated=True)
                blocks.append(f"{source.citation()}\n{text} …")
                sources.append(source)
            break
        blocks.append(block)
        sources.append(source)
        used += cost
    text = "\n\n".join(blocks)
    return Context(text, sources, count_tokens(text) if text else 0, truncated)


def _cut(text: str, budget: int, count_tokens: Callable[[str], int]) -> str:
    """The longest prefix of ``text`` ending at a word boundary whose token count fits ``budget``."""
    words = text.split(" ")
    low, high = 0, len(words)
    while low < high:  # binary search on the number of words kept
        mid = (low + high + 1) // 2
        if count_tokens(" ".join(words[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return " ".join(words[:low])
