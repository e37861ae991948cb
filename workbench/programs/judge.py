"""The supervisor's judge (a DSPy program): how well does the evidence answer the question, in [0, 1], and why."""

from __future__ import annotations

import re
from typing import Any

import dspy

VERSION = "judge-v2"
MAX_TOKENS = 300  # scores and two sentences; small models otherwise echo the evidence back until the limit


class JudgeEvidence(dspy.Signature):
    """Judge how well the evidence gathered by the agents answers the question. Score each agent's block
    and the evidence as a whole from 0 (useless or wrong) to 1 (fully answers it, with support). In the
    feedback, say what is missing or wrong, so the next attempt can fix it; say 'good' if nothing is."""

    question: str = dspy.InputField()
    evidence: str = dspy.InputField(desc="one '## agent: task' block per agent: SQL results, sources, errors")
    agent_scores: str = dspy.OutputField(desc="one line per block, 'agent: score', e.g. 'retrieval: 0.7'",
                                         default="")  # optional: small models often leave it out
    score: str = dspy.OutputField(desc="the whole evidence, a number between 0 and 1")
    feedback: str = dspy.OutputField(desc="one or two sentences")


class Judge(dspy.Module):
    """Score evidence for a question, per agent and as a whole; scores are parsed into [0, 1] (unparsable: 0)."""

    def __init__(self) -> None:
        super().__init__()
        self.judge = dspy.Predict(JudgeEvidence)

    def forward(self, question: str, evidence: str, **kwargs: Any) -> dspy.Prediction:
        """Return a prediction with ``score`` (float in [0, 1]), ``agent_scores`` (agent → float; the agents the
        LM named) and ``feedback`` (text)."""
        kwargs.setdefault("config", {"max_tokens": MAX_TOKENS})
        out = self.judge(question=question, evidence=evidence, **kwargs)
        return dspy.Prediction(score=parse_score(out.score), agent_scores=parse_agent_scores(out.agent_scores),
                               feedback=(out.feedback or "").strip())


def parse_agent_scores(text: str) -> dict[str, float]:
    """``{"retrieval": 0.7}`` from lines like ``retrieval: 0.7`` or ``- data_analysis = 8/10``."""
    scores = {}
    for line in str(text or "").splitlines():
        match = re.match(r"\s*[-*#]*\s*([A-Za-z_][\w.-]*)\s*[:=]\s*(.+)", line)
        if match:
            scores[match.group(1)] = parse_score(match.group(2))
    return scores


def parse_score(text: str) -> float:
    """A score in [0, 1] from ``0.8``, ``8/10``, ``4 out of 5``, ``80%``, ``8`` (out of 10) or ``80`` (out of 100).

    Text without a number scores 0.
    """
    text = str(text or "")
    fraction = re.search(r"(\d+(?:\.\d+)?)\s*(?:/|out of)\s*(\d+(?:\.\d+)?)", text)
    if fraction and float(fraction.group(2)) > 0:
        value = float(fraction.group(1)) / float(fraction.group(2))
    elif percent := re.search(r"(\d+(?:\.\d+)?)\s*%", text):
        value = float(percent.group(1)) / 100
    elif number := re.search(r"\d+(?:\.\d+)?", text):
        value = float(number.group())
        value = value if value <= 1 else value / 10 if value <= 10 else value / 100
    else:
        return 0.0
    return round(min(1.0, max(0.0, value)), 4)
