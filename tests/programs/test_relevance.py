"""Relevance grading for the LM reranker: the grade parsed from what a model writes, always an int in 0..3."""

from __future__ import annotations

import pytest
from common import chat_answer, recorded_lm

from workbench.programs.adapter import LenientChatAdapter
from workbench.programs.relevance import GRADES, RelevanceGrader, parse_grade


@pytest.mark.parametrize(("text", "grade"), [
    ("3", 3), ("0", 0), ("Grade: 2", 2), ("2 - partly addresses it", 2), ("**1**", 1),
    ("I would say 3.", 3),
])
def test_the_first_grade_digit_is_taken(text, grade):
    assert parse_grade(text) == grade


@pytest.mark.parametrize("text", ["", None, "unrelated", "7", "grade: 9"])
def test_output_without_a_grade_digit_grades_zero(text):
    assert parse_grade(text) == 0


def test_the_grader_turns_the_model_output_into_an_int_grade():
    # As the LM reranker runs it: the lenient chat adapter, one call per (query, passage).
    import dspy

    lm, llama = recorded_lm(chat_answer(grade="Grade 2: same topic, partly addresses it"))
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        prediction = RelevanceGrader()(query="Do statins lower LDL?", passage="Statins lower LDL cholesterol.")
    assert prediction.grade == 2 and prediction.grade in GRADES
    assert "Do statins lower LDL?" in llama.prompt() and "Statins lower LDL cholesterol." in llama.prompt()
