"""The grounded evaluator: the probability that each agent's answer is right, from checks, not from an LM's opinion.

``GroundedEvaluator()(question, records)`` scores every record of an
iteration:

* a table (SQL) record carries the checks its agent ran
  (``workbench.sql.checks``: ran, rows, shape, agreement with an
  independently sampled query, coverage, first try, non-NULL share); a
  logistic model fitted on visible Spider questions (``evaluator_model.json``
  beside this module, refit with ``workbench optimize evaluator``) turns them
  into a probability;
* a sources (retrieval) record carries the retriever's confidence, which is
  already calibrated (``workbench.retrieval.confidence``);
* a failed agent scores 0 with its error as feedback;
* any other result cannot be checked here: it gets ``unchecked`` (0.7 by
  default, above the default threshold, so an unverifiable answer is not
  retried for nothing) and the feedback says it was not checked, unless an
  ``lm_judge`` is given, which then scores what checks cannot.

The whole scores the product of the records' probabilities (every part must
be right). The feedback names what failed, per agent, so the next iteration
can aim at it, and ``Judgement.checks`` keeps every check for the trace.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from workbench.supervisor.calibration import LogisticModel
from workbench.supervisor.evaluator import Judgement

MODEL_PATH = Path(__file__).with_name("evaluator_model.json")


@cache
def default_model() -> LogisticModel:
    """The shipped model (``evaluator_model.json``), read once."""
    return LogisticModel.load(MODEL_PATH)


class GroundedEvaluator:
    """Scores records by their checks (see the module docstring); blocking only when ``lm_judge`` is used.

    Args:
        model: The logistic model for SQL checks (default: the shipped one).
        unchecked: The probability given to results no check applies to.
        lm_judge: Optional ``(question, records) -> Judgement`` (e.g. ``LMJudge``) for those results.
    """

    def __init__(self, model: LogisticModel | None = None, *, unchecked: float = 0.7,
                 lm_judge: Callable[[str, list[dict[str, Any]]], Judgement] | None = None) -> None:
        self.model = model or default_model()
        self.unchecked = unchecked
        self.lm_judge = lm_judge

    def __call__(self, question: str, records: Sequence[dict[str, Any]]) -> Judgement:
        scores: dict[str, float] = {}
        notes: list[str] = []
        checks: dict[str, list[dict[str, Any]]] = {}
        unchecked: list[dict[str, Any]] = []
        for record in records:
            agent = record["agent"]
            if not record["ok"]:
                scores[agent] = 0.0
                notes.append(f"{agent} failed: {record['error']}")
                continue
            payload = record.get("payload") or {}
            if payload.get("type") == "table" and payload.get("checks"):
                listed = payload["checks"]
                signals = {c["name"]: float(c["value"]) for c in listed}
                scores[agent] = round(self.model.predict(signals), 4)
                checks[agent] = listed
                failed = [c["note"] for c in listed if not c["passed"] and c["note"]]
                if failed:
                    notes.append(f"{agent}: {'; '.join(failed)}")
            elif payload.get("type") == "sources" and "confidence" in payload:
                scores[agent] = round(float(payload["confidence"]), 4)
                checks[agent] = [{"name": "confidence", "value": scores[agent], "passed": scores[agent] >= 0.5,
                                  "note": "" if scores[agent] >= 0.5 else "the sources match the question weakly"}]
                if scores[agent] < 0.5:
                    notes.append(f"{agent}: the sources match the question weakly "
                                 f"(confidence {scores[agent]:.2f})")
            else:
                unchecked.append(record)
        tokens: dict[str, int] = {}
        if unchecked and self.lm_judge is not None:
            verdict = self.lm_judge(question, unchecked)
            tokens = verdict.tokens
            for record in unchecked:
                scores[record["agent"]] = verdict.agent_scores.get(record["agent"], verdict.score)
            if verdict.feedback and verdict.feedback.lower() != "good":
                notes.append(verdict.feedback)
        else:
            for record in unchecked:
                scores[record["agent"]] = self.unchecked
        if not records:
            return Judgement(0.0, "No agent was called.", {}, "grounded")
        whole = math.prod(scores.values())
        feedback = " ".join(f"{n}." if not n.endswith(".") else n for n in notes) or "good"
        return Judgement(round(whole, 4), feedback, scores, "grounded", tokens, checks=checks)
