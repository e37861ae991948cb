"""The llama.cpp DSPy engine, against recorded llama.cpp responses (no live model)."""

from __future__ import annotations

import threading
import uuid

import dspy
import pytest
from common import RecordedLlama, chat_answer, recorded_lm
from dspy.lm15 import Config, Message, Request

from workbench.llama_engine import LlamaCppEngine


class Ask(dspy.Signature):
    """Answer the question."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


def test_engine_sends_chat_messages_and_generation_options():
    llama = RecordedLlama("hello")
    engine = LlamaCppEngine("m.gguf", llama=llama)
    request = Request(model="local/m", system="Be brief.", messages=(Message.user("Hi"),),
                      config=Config(temperature=0.3, max_tokens=17, stop=("\n\n",), seed=7))
    response = engine.complete(request)
    call = llama.calls[0]
    assert llama.prompt() == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n" \
        "<|im_start|>assistant\n"  # the model's own chat template
    assert (call["temperature"], call["max_tokens"], call["seed"]) == (0.3, 17, 7)
    assert call["stop"] == ["\n\n", "<|im_end|>"]  # the request's stops, then the template's
    assert response.message.text == "hello"
    assert response.finish_reason == "stop"
    assert (response.usage.input_tokens, response.usage.output_tokens) == (100, 1)
    assert engine.stats.calls == 1 and engine.stats.input_tokens == 100


def test_dspy_program_parses_fields_through_the_engine():
    lm, llama = recorded_lm(chat_answer(answer="Paris"))
    with dspy.context(lm=lm):
        prediction = dspy.Predict(Ask)(question="Capital of France?")
    assert prediction.answer == "Paris"
    prompt = llama.prompt()
    assert "Capital of France?" in prompt and "[[ ## answer ## ]]" in prompt
    assert llama.calls[0]["temperature"] == 0.0


def test_token_usage_is_reported_to_dspy():
    lm, _ = recorded_lm(chat_answer(answer="4"), prompt_tokens=42)
    with dspy.context(lm=lm, track_usage=True):
        prediction = dspy.Predict(Ask)(question="2+2?")
    usage = prediction.get_lm_usage()["local/recorded"]
    assert usage["prompt_tokens"] == 42 and usage["completion_tokens"] > 0


def test_dspy_cache_answers_a_repeated_call_without_the_model(tmp_path):
    lm, llama = recorded_lm(chat_answer(answer="cached"), cache=True)
    question = f"unique question {uuid.uuid4()}"
    with dspy.context(lm=lm):
        first = dspy.Predict(Ask)(question=question)
        second = dspy.Predict(Ask)(question=question)
    assert first.answer == second.answer == "cached"
    assert len(llama.calls) == 1


def test_calls_from_many_threads_are_serialised_and_all_answered():
    llama = RecordedLlama("ok", delay_s=0.01)
    engine = LlamaCppEngine("m.gguf", llama=llama)
    results: list[str] = []

    def call() -> None:
        results.append(engine.complete(Request(model="local/m", messages=(Message.user("x"),))).message.text)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ok"] * 8
    assert not llama.overlapped


def test_generation_past_the_time_limit_is_stopped_and_marked_truncated():
    import numpy as np

    class SlowLlama(RecordedLlama):
        def create_completion(self, **kwargs):
            scores = np.zeros(4, dtype=np.float32)
            for processor in kwargs["logits_processor"]:
                scores = processor(np.array([1]), scores)
            self.forced = scores.copy()
            return super().create_completion(**kwargs)

    llama = SlowLlama("partial")
    engine = LlamaCppEngine("m.gguf", llama=llama, timeout_s=-1.0)  # already past the limit
    response = engine.complete(Request(model="local/m", messages=(Message.user("x"),)))
    assert response.finish_reason == "length"
    assert engine.stats.truncated == 1
    assert llama.forced[2] == 0.0  # only end-of-generation (token 2 here) stays possible
    assert np.isneginf(np.delete(llama.forced, 2)).all()


def test_context_overflow_becomes_a_clear_error():
    from dspy.lm15 import ContextLengthError

    llama = RecordedLlama("x")
    engine = LlamaCppEngine("m.gguf", llama=llama, n_ctx=64)
    with pytest.raises(ContextLengthError, match=r"context window is 64.*WORKBENCH_LM_CONTEXT"):
        engine.complete(Request(model="local/m", messages=(Message.user("x" * 100),)))
    assert llama.calls == []


def _ask(engine: LlamaCppEngine, text: str) -> None:
    engine.complete(Request(model="local/m", messages=(Message.user(text),)))


def test_prompt_cache_reuses_only_whole_batches_of_the_shared_prefix():
    llama = RecordedLlama("ok")
    engine = LlamaCppEngine("m.gguf", llama=llama, n_batch=16)
    shared = "s" * 50
    _ask(engine, shared + "first question")
    _ask(engine, shared + "second question")
    _ask(engine, "nothing in common")
    common = len("<|im_start|>user\n") + len(shared)  # 67 tokens shared by the first two prompts
    assert llama.reused == [0, common // 16 * 16, len("<|im_start|>user\n") // 16 * 16]


def test_an_identical_prompt_still_evaluates_its_last_batch():
    llama = RecordedLlama("ok")
    engine = LlamaCppEngine("m.gguf", llama=llama, n_batch=16)
    _ask(engine, "same")
    _ask(engine, "same")
    assert llama.reused[1] < len(llama.calls[1]["prompt"])
    assert llama.reused[1] % 16 == 0


def test_a_saved_lm_reloads_its_engine_also_under_the_old_class_path():
    state = dspy.LM("local/m", engine=LlamaCppEngine("m.gguf", n_ctx=1024, n_batch=32)).dump_state()
    assert state["engine"]["class"] == "workbench.llama_engine:LlamaCppEngine"
    for path in ("workbench.llama_engine:LlamaCppEngine", "workbench.lm:LlamaCppEngine"):  # lm: saved before the move
        state["engine"]["class"] = path
        engine = dspy.LM.load_state(state, allow_custom_lm_class=True).engine
        assert isinstance(engine, LlamaCppEngine)
        assert (engine.model_path, engine.n_ctx, engine.n_batch) == ("m.gguf", 1024, 32)


def test_generated_text_streams_to_the_trace_without_dspy_field_markers():
    from workbench.llama_engine import _TokenStream
    from workbench.tracing import Trace

    trace = Trace("s")
    seen: list[str] = []
    trace.subscribe(lambda e: seen.append(e.data["text"]))
    llama = RecordedLlama("unused")
    prompt = list(b"prompt")
    stream = _TokenStream(llama, len(prompt), trace, "m")
    generated = list(b"[[ ## answer ## ]]\nJapan (82.6)\n\n[[ ## completed")
    for n in range(len(generated) + 1):  # llama.cpp calls the processor once per sampled token
        stream(prompt + generated[:n], None)
    assert "".join(seen).strip() == "Japan (82.6)"


def test_the_first_field_header_is_prompted_not_generated_and_generation_stops_at_the_completion_marker():
    lm, llama = recorded_lm("Paris\n\n")  # what the model writes after a prompted header
    with dspy.context(lm=lm):
        prediction = dspy.Predict(Ask)(question="Capital of France?")
    assert prediction.answer == "Paris"
    assert llama.prompt().endswith("<|im_start|>assistant\n[[ ## answer ## ]]\n")
    assert "[[ ## completed" in llama.calls[0]["stop"]


def test_without_prefill_the_prompt_ends_at_the_assistant_turn():
    llama = RecordedLlama(chat_answer(answer="Paris"))
    engine = LlamaCppEngine("m.gguf", llama=llama, prefill=False)
    lm = dspy.LM("local/recorded", engine=engine, cache=False, temperature=0.0, max_tokens=64)
    with dspy.context(lm=lm):
        assert dspy.Predict(Ask)(question="Capital of France?").answer == "Paris"
    assert llama.prompt().endswith("<|im_start|>assistant\n")
