"""The supervisor's answer writer (a DSPy program): the final answer from the evidence, citing it."""

from __future__ import annotations

from typing import Any

import dspy

VERSION = "answer-v3"
MAX_TOKENS = 96  # two or three sentences with citations (~15 tokens/s with the 1.5B model on 2 cores)


class WriteAnswer(dspy.Signature):
    """Answer the question using only the evidence, in at most three sentences. When the SQL result is a short
    list, name every row with its figures, as written in the result. Use only numbers and names that appear in
    the evidence; do not compute new ones. Cite retrieved sources by their numbers, like [1]. If the evidence
    does not answer the question, say so."""

    question: str = dspy.InputField()
    evidence: str = dspy.InputField(desc="SQL results and numbered sources gathered by the agents")
    answer: str = dspy.OutputField(desc="a short answer with citations")


class AnswerWriter(dspy.Module):
    """Write the final answer from the evidence."""

    def __init__(self) -> None:
        super().__init__()
        self.write = dspy.Predict(WriteAnswer)

    def forward(self, question: str, evidence: str, **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``answer`` field holds the text (at most ``MAX_TOKENS`` tokens unless
        ``config`` says otherwise)."""
        kwargs["config"] = {"max_tokens": MAX_TOKENS, **(kwargs.get("config") or {})}
        out = self.write(question=question, evidence=evidence, **kwargs)
        return dspy.Prediction(answer=(out.answer or "").strip())
