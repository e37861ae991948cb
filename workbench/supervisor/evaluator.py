"""Judging what the agents returned: a score in [0, 1] for each agent and the whole, with feedback.

The supervisor's default evaluator is ``workbench.supervisor.grounded.GroundedEvaluator``: a
probability from checks that need no LM. ``LMJudge``, kept as a switch (``Supervisor(judge="lm")``),
asks the DSPy judge (``workbench.programs.judge``) once per iteration. Two cases need no LM: an
agent that failed scores 0 (its error is the feedback), and when every agent failed the whole scores 0 with the errors
as feedback, so the next iteration can route around them. ``Judgement.source``
says which happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.supervisor.evidence import join_evidence

if TYPE_CHECKING:
    import dspy


@dataclass
class Judgement:
    """A score in [0, 1] for the whole evidence and for each agent, feedback, who judged (``grounded``, ``lm``,
    ``rule``), the LM tokens spent, and the checks behind a grounded score (agent → ``{name, value, passed,
    note}`` dicts)."""

    score: float
    feedback: str
    agent_scores: dict[str, float] = field(default_factory=dict)
    source: str = "lm"
    tokens: dict[str, int] = field(default_factory=dict)
    checks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The judgement as plain values (for the checkpointed state)."""
        return asdict(self)


class LMJudge:
    """Scores evidence records with the DSPy judge program on ``lm``.

    Called as ``judge(question, records)``, where records are ``outcome_record`` dicts; blocking (the
    supervisor runs it in a worker thread).
    """

    def __init__(self, lm: dspy.BaseLM) -> None:
        self.lm = lm

    def __call__(self, question: str, records: Sequence[dict[str, Any]]) -> Judgement:
        failed = {r["agent"]: 0.0 for r in records if not r["ok"]}
        usable = [r for r in records if r["ok"]]
        if not usable:
            errors = "; ".join(f"{r['agent']}: {r['error']}" for r in records) or "no agent was called"
            return Judgement(0.0, f"No agent returned usable evidence ({errors}).", failed, "rule")
        from workbench.lm import lm_context, prediction_tokens
        from workbench.programs.judge import Judge

        with lm_context(self.lm):
            verdict = Judge()(question=question, evidence=join_evidence([r["evidence"] for r in records]))
        tokens = prediction_tokens(verdict)
        scores = {r["agent"]: verdict.agent_scores.get(r["agent"], verdict.score) for r in usable}
        return Judgement(verdict.score, verdict.feedback, {**scores, **failed}, "lm", tokens)

