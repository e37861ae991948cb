"""The pairwise judge (a DSPy program): which of two outputs follows an instruction better.

This is the preference form of the supervisor's judge, the one LLMBar
measures: shown an instruction and two outputs, answer ``1`` or ``2``.
``workbench.evaluation.judge_eval`` asks it with both orders of every pair,
so a model that prefers a position cannot score above chance by it.
"""

from __future__ import annotations

import re
from typing import Any

import dspy

VERSION = "pairwise-v1"
MAX_TOKENS = 32  # the answer is one digit; the chat format needs a few tokens around it


class ComparePair(dspy.Signature):
    """Two outputs respond to the same instruction. Decide which output follows the instruction better: it
    does exactly what was asked, is correct and helpful, and adds nothing unasked. Judge the content, not the
    length or the style, and do not let the order of the outputs sway you. Answer 1 or 2."""

    instruction: str = dspy.InputField()
    output_1: str = dspy.InputField()
    output_2: str = dspy.InputField()
    better: str = dspy.OutputField(desc="1 or 2")


class PairwiseJudge(dspy.Module):
    """Pick the better of two outputs; ``better`` is 1, 2, or None when the answer names neither."""

    def __init__(self) -> None:
        super().__init__()
        self.compare = dspy.Predict(ComparePair)

    def forward(self, instruction: str, output_1: str, output_2: str, **kwargs: Any) -> dspy.Prediction:
        """Return a prediction with ``better`` (1, 2 or None) and ``raw`` (the LM's answer)."""
        kwargs.setdefault("config", {"max_tokens": MAX_TOKENS})
        out = self.compare(instruction=instruction, output_1=output_1, output_2=output_2, **kwargs)
        return dspy.Prediction(better=parse_choice(out.better), raw=str(out.better or ""))


def parse_choice(text: str) -> int | None:
    """1 or 2 from ``2``, ``Output 2``, ``output_1``, ``(b)``/``B`` (second) and the like; None otherwise."""
    text = str(text or "").strip().lower()
    digits = set(re.findall(r"(?<![\d.])([12])(?![\d.])", text))
    if len(digits) == 1:
        return int(digits.pop())
    letters = set(re.findall(r"^\(?([ab])\)?[.:]?$|output\s*\(?([ab])\)?", text))
    picked = {x for pair in letters for x in pair if x}
    if len(picked) == 1 and not digits:
        return 1 if picked.pop() == "a" else 2
    return None
