"""The LM factory and ``lm_context``: litellm strings pass through, old engine imports work, programs run alike."""

from __future__ import annotations

import dspy
from common import chat_answer, recorded_lm

from workbench.config import Settings
from workbench.lm import is_local, lm_context, load_lm, prediction_tokens
from workbench.programs.adapter import LenientChatAdapter


class Ask(dspy.Signature):
    """Answer the question."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


def test_litellm_model_strings_pass_through_with_api_base():
    lm = load_lm("openai/my-model", settings=Settings(lm_api_base="http://127.0.0.1:8000/v1"))
    assert lm.model == "openai/my-model"
    assert lm.kwargs["api_base"] == "http://127.0.0.1:8000/v1"
    assert not is_local("openai/my-model")
    assert is_local("qwen2.5-coder-0.5b") and is_local("/models/any.GGUF")


def test_lm_context_reads_a_bare_answer_and_counts_its_tokens():
    lm, llama = recorded_lm("Paris", prompt_tokens=42)  # no ``[[ ## answer ## ]]`` header, as small models write
    with lm_context(lm):
        prediction = dspy.Predict(Ask)(question="Capital of France?")
    assert prediction.answer == "Paris" and len(llama.calls) == 1  # the lenient adapter: no JSON retry
    assert prediction_tokens(prediction) == {"prompt_tokens": 42, "completion_tokens": 1}


def test_lm_context_without_an_lm_keeps_the_current_one():
    lm, llama = recorded_lm(chat_answer(answer="4"))
    with dspy.context(lm=lm), lm_context():
        assert dspy.settings.lm is lm
        assert dspy.Predict(Ask)(question="2+2?").answer == "4"
    assert len(llama.calls) == 1


def test_lm_context_passes_extra_settings_through_and_they_win():
    lm, _ = recorded_lm(chat_answer(answer="4"))
    with lm_context(lm, track_usage=False, max_errors=3):
        assert dspy.settings.track_usage is False and dspy.settings.max_errors == 3
        assert isinstance(dspy.settings.adapter, LenientChatAdapter) and dspy.settings.lm is lm


def test_tracking_usage_does_not_change_what_the_model_is_sent():
    sent = []
    for context in (lambda lm: dspy.context(lm=lm, adapter=LenientChatAdapter()), lm_context):
        lm, llama = recorded_lm(chat_answer(answer="4"))
        with context(lm):
            dspy.Predict(Ask)(question="2+2?")
        sent.append({k: v for k, v in llama.calls[0].items() if k != "logits_processor"})
    assert sent[0] == sent[1]
