"""The supervisor's last node: the final answer written from the evidence, citing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dspy


class LMAnswerWriter:
    """Writes the final answer from the evidence with the DSPy answer program on ``lm`` (blocking)."""

    def __init__(self, lm: dspy.BaseLM) -> None:
        self.lm = lm

    def __call__(self, question: str, evidence: str) -> str:
        from workbench.lm import lm_context
        from workbench.programs.final_answer import AnswerWriter

        with lm_context(self.lm):
            return AnswerWriter()(question=question, evidence=evidence).answer
