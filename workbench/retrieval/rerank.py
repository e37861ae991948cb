"""Rerankers: reorder the fused candidates with a finer (and costlier) relevance model.

Every reranker has a ``name``, a ``depth`` (how many fused candidates it
reads) and ``rerank(query, hits) -> hits``; the returned hits carry their new
rank, the reranker's score in ``hit.scores["rerank"]``, and keep the other
stages' scores. ``make_reranker(spec)`` builds one from a short spec:

* ``none``: no reranking, the offline default: the local LM reranker costs
  seconds per candidate on a CPU (measurements in the README);
* ``lm`` or ``lm:<model>``: the local LM grades each candidate 0-3
  (``workbench.programs.relevance``); candidates sort by grade, ties keep
  their fused order. One LM call per candidate: slow on a CPU;
* ``cross-encoder:<folder>``: a sentence-transformers ``CrossEncoder`` you
  have on disk (none ships offline).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import dspy

    from workbench.retrieval.index import Hit

RERANKERS = ("none", "lm", "lm:<model>", "cross-encoder:<folder>")


class Reranker(Protocol):
    """What the hybrid index needs from a reranker."""

    name: str
    depth: int

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """The same hits, reordered, with new ranks and ``scores["rerank"]``."""
        ...


def reorder(hits: Sequence[Hit], order: Sequence[int], rerank_scores: Sequence[float],
            final_scores: Sequence[float] | None = None) -> list[Hit]:
    """Copies of ``hits`` in ``order`` (indices into ``hits``), re-ranked from 1, with their rerank scores."""
    finals = final_scores if final_scores is not None else rerank_scores
    out = []
    for rank, i in enumerate(order, 1):
        hit = hits[i]
        out.append(dataclasses.replace(hit, rank=rank, score=float(finals[i]),
                                       scores={**hit.scores, "rerank": float(rerank_scores[i])}))
    return out


class LMReranker:
    """Grades each candidate 0-3 with an LM; sorts by grade, ties keep the fused order.

    Args:
        lm: A ``dspy.LM`` or model name (default: the ``lm`` setting).
        depth: Candidates graded (one LM call each).
        passage_words: Words of each candidate shown to the LM.
        cache: Use DSPy's response cache when ``lm`` is a name (off for honest timings).
    """

    name = "lm"

    def __init__(self, lm: dspy.BaseLM | str | None = None, depth: int = 10, passage_words: int = 160,
                 cache: bool = True) -> None:
        self._lm_spec = lm
        self._lm: Any = None
        self.cache = cache
        self.depth = depth
        self.passage_words = passage_words
        self.calls = 0

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """Reorder ``hits`` (see the class docstring)."""
        import dspy

        from workbench.lm import resolve_lm
        from workbench.programs.adapter import LenientChatAdapter
        from workbench.programs.relevance import RelevanceGrader

        if self._lm is None:
            self._lm = resolve_lm(self._lm_spec, cache=self.cache)
        grader = RelevanceGrader()
        grades = []
        with dspy.context(lm=self._lm, adapter=LenientChatAdapter()):
            for hit in hits:
                passage = " ".join(hit.chunk.indexed_text.split()[:self.passage_words])
                grades.append(grader(query=query, passage=passage).grade)
                self.calls += 1
        order = sorted(range(len(hits)), key=lambda i: (-grades[i], i))
        return reorder(hits, order, [float(g) for g in grades])


class CrossEncoderReranker:
    """A sentence-transformers ``CrossEncoder`` from a local folder scores each (query, candidate) pair.

    Args:
        model: Path of a CrossEncoder model folder (nothing is downloaded).
        depth: Candidates scored.
        batch_size: Pairs per forward pass.
    """

    name = "cross-encoder"

    def __init__(self, model: str, depth: int = 50, batch_size: int = 16) -> None:
        from pathlib import Path

        if not Path(model).expanduser().is_dir():
            raise FileNotFoundError(f"CrossEncoder folder not found: {model!r}. No cross-encoder ships offline; "
                                    "give the folder of one you have (e.g. a saved ms-marco-MiniLM-L-6-v2)")
        self.model_path = str(Path(model).expanduser())
        self.depth = depth
        self.batch_size = batch_size
        self._model: Any = None

    def rerank(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """Reorder ``hits`` by the cross-encoder's score (ties keep the fused order)."""
        if not hits:
            return []
        if self._model is None:
            from sentence_transformers import CrossEncoder

            self._model = CrossEncoder(self.model_path, device="cpu", local_files_only=True)
        scores = self._model.predict([(query, h.chunk.indexed_text) for h in hits], batch_size=self.batch_size,
                                     show_progress_bar=False)
        scores = np.asarray(scores, dtype=np.float32).reshape(len(hits), -1)[:, -1]
        order = sorted(range(len(hits)), key=lambda i: (-float(scores[i]), i))
        return reorder(hits, order, [float(s) for s in scores])


def make_reranker(spec: str | None, *, lm: dspy.BaseLM | str | None = None, cache: bool = True) -> Reranker | None:
    """A reranker from a spec (``none``, ``lm``, ``lm:<model>``, ``cross-encoder:<folder>``).

    ``cache=False`` turns DSPy's response cache off for an LM reranker, so its timings are real.
    """
    if spec is None or spec == "none":
        return None
    if spec == "lm" or spec.startswith("lm:"):
        return LMReranker(spec.partition(":")[2] or lm, cache=cache)
    if spec.startswith("cross-encoder:"):
        return CrossEncoderReranker(spec.partition(":")[2])
    raise ValueError(f"Unknown reranker {spec!r}; choose one of {', '.join(RERANKERS)}")
