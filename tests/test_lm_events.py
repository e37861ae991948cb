"""Cache hits and calls to non-local LMs reach the trace (the local engine reports its own calls)."""

from __future__ import annotations

import uuid

import dspy
from common import chat_answer, recorded_lm
from dspy.utils import DummyLM

from workbench.lm import resolve_lm
from workbench.programs.adapter import LenientChatAdapter
from workbench.programs.final_answer import AnswerWriter
from workbench.tracing import Trace, use_trace


def _ask(lm, evidence: str = "3 rows") -> str:
    with dspy.context(lm=lm, adapter=LenientChatAdapter()):
        return AnswerWriter()(question="How many?", evidence=evidence).answer


def test_a_cached_answer_is_a_cache_hit_and_a_generated_one_an_lm_call():
    lm, llama = recorded_lm(chat_answer(answer="Three."), cache=True)
    resolve_lm(lm)
    fresh = f"3 rows ({uuid.uuid4()})"  # DSPy's cache is on disk: a new prompt, so the first call is generated
    trace = Trace("s")
    with use_trace(trace):
        assert _ask(lm, fresh) == "Three." and _ask(lm, fresh) == "Three."
    assert len(llama.calls) == 1
    assert [e.kind for e in trace] == ["lm_call", "cache_hit"]  # one generation (from the engine), one from cache
    hit = trace.of_kind("cache_hit")[0]
    assert hit.data["cache"] == "dspy" and "Three." in hit.data["completion"] and hit.elapsed_ms >= 0


def test_calls_to_a_non_local_lm_are_reported_with_their_usage():
    lm = resolve_lm(DummyLM([{"answer": "Three."}]))
    trace = Trace("s")
    with use_trace(trace):
        assert _ask(lm) == "Three."
    (call,) = trace.of_kind("lm_call")
    assert call.name == "dummy" and call.data["prompt_tokens"] == 0 and "How many?" in call.data["prompt"]


def test_nothing_is_reported_outside_a_trace_and_attaching_twice_reports_once():
    lm = resolve_lm(resolve_lm(DummyLM([{"answer": "Three."}])))
    _ask(lm)
    trace = Trace("s")
    with use_trace(trace):
        _ask(lm)
    assert len(trace.of_kind("lm_call")) == 1
