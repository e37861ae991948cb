"""Rerankers: reorder the fused candidates with a finer (and costlier) relevance model.

Every reranker has a ``name``, a ``depth`` (how many fused candidates it
reads) and ``rerank(query, hits) -> hits``; the returned hits carry their new
rank, the reranker's score in ``hit.scores["rerank"]``, and keep the other
stages' scores. ``make_reranker(spec)`` builds one from a short spec:

* ``none``: no reranking, the offline default: the local LM reranker costs
  seconds per candidate on a CPU (measurements in the README);
* ``lm`` or ``lm:<model>``: an LM judges each candidate. A local model
  scores it by the probability that its one-word answer to "is this passage
  relevant to the query?" is yes, read from the logits of its first output
  token (one forward pass, no sampling); any other LM grades it 0-3 through
  a DSPy program (``workbench.programs.relevance``). Candidates sort by
  score, ties keep their fused order. One LM pass per candidate: slow on a CPU;
* ``cross-encoder:<folder>``: a sentence-transformers ``CrossEncoder`` you
  have on disk (none ships offline).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from workbench.errors import InputError, MissingInputError

if TYPE_CHECKING:
    import dspy

    from workbench.retrieval.results import Hit

RERANKERS = ("none", "lm", "lm:<model>", "cross-encoder:<folder>")
JUDGE_SYSTEM = "You judge search results. Answer with one word: yes or no."
# The query comes first, so the prompts for one query share a prefix the local engine reuses.
JUDGE_PROMPT = ("Query: {query}\n\nIs the following passage relevant to the query: does it answer, support or "
                "refute it?\n\nPassage: {passage}\n\nAnswer yes or no.")
YES = ("yes", "Yes", " yes", " Yes")
NO = ("no", "No", " no", " No")


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
    """Scores each candidate with an LM (local: P(yes); others: a 0-3 grade); ties keep the fused order.

    Args:
        lm: A ``dspy.LM`` or model name (default: the ``lm`` setting).
        depth: Candidates graded (one LM call each).
        passage_words: Words of each candidate (title first) shown to the LM.
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
        from workbench.lm import resolve_lm

        if self._lm is None:
            self._lm = resolve_lm(self._lm_spec, cache=self.cache)
        passages = [" ".join(hit.chunk.indexed_text.split()[:self.passage_words]) for hit in hits]
        engine = getattr(self._lm, "engine", None)
        if hasattr(engine, "first_token_logprobs"):
            scores = [self._p_yes(engine, query, p) for p in passages]
        else:
            scores = [float(g) for g in self._grades(query, passages)]
        self.calls += len(hits)
        order = sorted(range(len(hits)), key=lambda i: (-scores[i], i))
        return reorder(hits, order, scores)

    @staticmethod
    def _p_yes(engine: Any, query: str, passage: str) -> float:
        messages = [{"role": "system", "content": JUDGE_SYSTEM},
                    {"role": "user", "content": JUDGE_PROMPT.format(query=query, passage=passage)}]
        logp = engine.first_token_logprobs(messages, [*YES, *NO])
        yes = np.logaddexp.reduce([logp[w] for w in YES])
        no = np.logaddexp.reduce([logp[w] for w in NO])
        return float(1.0 / (1.0 + np.exp(no - yes))) if np.isfinite(yes) or np.isfinite(no) else 0.0

    def _grades(self, query: str, passages: list[str]) -> list[int]:
        from workbench.lm import lm_context
        from workbench.programs.relevance import RelevanceGrader

        grader = RelevanceGrader()
        with lm_context(self._lm):
            return [grader(query=query, passage=p).grade for p in passages]


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
            raise MissingInputError(f"CrossEncoder folder not found: {model!r}. No cross-encoder ships offline; "
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
    raise InputError(f"Unknown reranker {spec!r}; choose one of {', '.join(RERANKERS)}")
