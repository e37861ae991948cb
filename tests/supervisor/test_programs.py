"""Judge and answer programs (recorded LM responses), score parsing, and evidence rendering."""

from __future__ import annotations

import dspy
import pytest
from common import chat_answer, recorded_lm

from workbench.programs.adapter import LenientChatAdapter
from workbench.programs.final_answer import AnswerWriter
from workbench.programs.judge import Judge, parse_score


@pytest.mark.parametrize(("text", "score"), [
    ("0.8", 0.8), ("8/10", 0.8), ("4 out of 5", 0.8), ("80%", 0.8), ("8", 0.8), ("80", 0.8), ("1", 1.0),
    ("0", 0.0), ("none", 0.0), ("1.7", 0.17), ("Score: 0.65 overall", 0.65),
])
def test_scores_parse_into_the_unit_interval(text, score):
    assert parse_score(text) == pytest.approx(score)


def test_judge_returns_a_score_and_feedback():
    lm, fake = recorded_lm(chat_answer(agent_scores="data_analysis: 0.3\n- retrieval = 8/10", score="0.4",
                                       feedback="The SQL counts all orders, not per month."))
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        verdict = Judge()(question="Orders per month?", evidence="## data_analysis: ...")
    assert verdict.score == 0.4 and verdict.feedback.startswith("The SQL counts")
    assert verdict.agent_scores == {"data_analysis": 0.3, "retrieval": 0.8}
    assert "Orders per month?" in fake.prompt(0)


def test_a_judge_answer_without_per_agent_scores_still_parses_in_one_call():
    lm, fake = recorded_lm([chat_answer(score="0.7", feedback="good")] * 2)
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        verdict = Judge()(question="q", evidence="## retrieval: ...")
    assert verdict.score == 0.7 and verdict.agent_scores == {} and len(fake.calls) == 1


def test_the_planner_caps_its_answer_length():
    from workbench.programs.planner import MAX_TOKENS, Planner

    lm, fake = recorded_lm(chat_answer(plan="[]"))
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        Planner()(question="q", agents="- a: b")
    assert fake.calls[0]["max_tokens"] == MAX_TOKENS


def test_answer_writer_returns_the_text():
    lm, _ = recorded_lm(chat_answer(answer="There were 12 orders in May [1]."))
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        assert AnswerWriter()(question="q", evidence="e").answer == "There were 12 orders in May [1]."
