"""Keyword search: BM25 (``bm25s``, Lucene variant) over analyzer terms.

``KeywordIndex(analyzer="english").build(texts)`` indexes texts (``add`` appends more); ``scores``
gives every text's BM25 score for a query and ``top`` the best rows. Query
terms absent from the index are ignored, so a query with no known term
scores every text 0.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.retrieval.analyzers import analyzer as get_analyzer


class KeywordIndex:
    """BM25 over the terms of one analyzer.

    Args:
        analyzer: An analyzer name from ``workbench.retrieval.analyzers``.
        k1: Term-frequency saturation.
        b: Length normalisation.
    """

    def __init__(self, analyzer: str = "english", *, k1: float = 1.5, b: float = 0.75) -> None:
        self.analyzer_name = analyzer
        self.analyze = get_analyzer(analyzer)
        self.k1 = k1
        self.b = b
        self._bm25: Any = None
        self._size = 0
        self._terms: list[list[str]] | None = None  # kept after building, so add() need not re-analyse

    def __len__(self) -> int:
        return self._size

    def build(self, texts: Sequence[str], *, progress: bool = False) -> KeywordIndex:
        """Index ``texts``; row ``i`` is ``texts[i]``."""
        from tqdm.auto import tqdm

        terms = [self.analyze(t) for t in tqdm(texts, desc="tokenising", unit="text", disable=not progress)]
        return self.build_from_terms(terms)

    def build_from_terms(self, terms: Sequence[list[str]]) -> KeywordIndex:
        """Index already analysed texts (lists of terms)."""
        import bm25s

        self._terms = [list(t) for t in terms]
        self._bm25 = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        if self._terms:
            with _quiet():
                self._bm25.index(self._terms, show_progress=False)
        self._size = len(self._terms)
        return self

    def add(self, texts: Sequence[str], *, indexed_texts: Sequence[str] = ()) -> None:
        """Append ``texts`` as new rows. BM25 statistics are collection-wide, so the index is rebuilt.

        A loaded index does not keep its analysed terms: pass the texts it was built from as
        ``indexed_texts`` (they are analysed once and kept).
        """
        if self._terms is None:
            if len(indexed_texts) != self._size:
                raise ValueError(f"This keyword index was loaded from disk; pass the {self._size} texts it was "
                                 f"built from as indexed_texts (got {len(indexed_texts)})")
            self._terms = [self.analyze(t) for t in indexed_texts]
        self.build_from_terms(self._terms + [self.analyze(t) for t in texts])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for ``query`` (float32, length ``len(self)``)."""
        terms = self.analyze(query)
        if self._bm25 is None or self._size == 0:
            return np.zeros(self._size, dtype=np.float32)
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(known), dtype=np.float32)

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)`` of the ``k`` best rows with a positive score, best first."""
        scores = self.scores(query)
        return top_k(scores, k)

    def save(self, folder: str | Path) -> None:
        """Write the index into ``folder`` (bm25s files plus our parameters)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None and self._size:
            with _quiet():
                self._bm25.save(str(folder), show_progress=False)
        (folder / "keyword.json").write_text(json.dumps(
            {"analyzer": self.analyzer_name, "k1": self.k1, "b": self.b, "size": self._size}))

    @classmethod
    def load(cls, folder: str | Path) -> KeywordIndex:
        """Read an index written by ``save``."""
        import bm25s

        folder = Path(folder)
        params = json.loads((folder / "keyword.json").read_text())
        self = cls(params["analyzer"], k1=params["k1"], b=params["b"])
        self._size = params["size"]
        if self._size:
            with _quiet():
                self._bm25 = bm25s.BM25.load(str(folder), mmap=False, show_progress=False)
        return self

    def __repr__(self) -> str:
        return f"KeywordIndex({self._size} texts, analyzer={self.analyzer_name!r}, k1={self.k1}, b={self.b})"


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` highest positive scores and their rows, best first (ties: lower row first)."""
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    rows = positive[order]
    return scores[rows], rows


@contextlib.contextmanager
def _quiet() -> Any:
    """bm25s logs warnings of its own (e.g. about its optional numba backend); keep the console to ours."""
    previous = logging.getLogger("bm25s").level
    logging.getLogger("bm25s").setLevel(logging.ERROR)
    try:
        yield
    finally:
        logging.getLogger("bm25s").setLevel(previous)
