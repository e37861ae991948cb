"""Passage relevance grading (a DSPy program), used by the LM reranker."""

from __future__ import annotations

import re
from typing import Any

import dspy

VERSION = "relevance-v1"
GRADES = (0, 1, 2, 3)


class GradeRelevance(dspy.Signature):
    """Grade how well the passage answers or supports the query: 0 = unrelated, 1 = same topic but does not
    address it, 2 = partly addresses it, 3 = directly answers, supports or refutes it."""

    query: str = dspy.InputField(desc="a question or a claim")
    passage: str = dspy.InputField(desc="a retrieved passage")
    grade: str = dspy.OutputField(desc="one digit: 0, 1, 2 or 3")


class RelevanceGrader(dspy.Module):
    """Predict a 0-3 relevance grade for a (query, passage) pair; unparsable output grades 0."""

    def __init__(self) -> None:
        super().__init__()
        self.grade = dspy.Predict(GradeRelevance)

    def forward(self, query: str, passage: str, **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``grade`` is an int in 0..3."""
        out = self.grade(query=query, passage=passage, **kwargs)
        return dspy.Prediction(grade=parse_grade(out.grade))


def parse_grade(text: str) -> int:
    """The first digit 0-3 in ``text`` (0 when there is none)."""
    match = re.search(r"[0-3]", str(text or ""))
    return int(match.group()) if match else 0
