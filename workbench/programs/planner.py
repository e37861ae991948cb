"""The supervisor's planner prompt (a DSPy program): question + agent catalogue → ordered steps of agent calls."""

from __future__ import annotations

from typing import Any

import dspy

VERSION = "planner-v1"
NO_FEEDBACK = "none"
MAX_TOKENS = 256  # a plan is a few short JSON objects; a longer answer is a model that lost its way


class PlanSteps(dspy.Signature):
    """Plan how to answer the question with the available agents. Return a JSON list of steps; each step is a
    list of calls that can run at the same time, each call {"agent": <agent name>, "task": <what to ask it>}.
    Use only listed agents. Prefer one step; use more only when a later call needs an earlier result. If feedback
    on an earlier attempt is given, change the plan to address it."""

    agents: str = dspy.InputField(desc="the available agents, one per line: '- name: what it does'")
    question: str = dspy.InputField()
    feedback: str = dspy.InputField(desc="'none', or what was wrong with the previous answer")
    plan: str = dspy.OutputField(desc='JSON, e.g. [[{"agent": "retrieval", "task": "..."}]]')


class Planner(dspy.Module):
    """Write a plan (raw JSON text; ``workbench.supervisor.planning`` validates it)."""

    def __init__(self) -> None:
        super().__init__()
        self.write = dspy.Predict(PlanSteps)

    def forward(self, question: str, agents: str, feedback: str = NO_FEEDBACK, **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``plan`` field holds the LM's JSON text (at most ``MAX_TOKENS`` tokens
        unless ``config`` says otherwise)."""
        kwargs.setdefault("config", {"max_tokens": MAX_TOKENS})
        return self.write(agents=agents, question=question, feedback=feedback, **kwargs)
