"""Trace events: causal order, spans with timing and errors, streaming listeners, DataFrame and JSON."""

from __future__ import annotations

import threading

import pytest

from workbench.tracing import Trace


def test_span_records_start_end_and_elapsed_time():
    trace = Trace("s1")
    with trace.span("node", "planner") as extra:
        trace.emit("lm_call", "qwen", prompt_tokens=120, completion_tokens=8)
        extra["steps"] = 2
    kinds = [(e.seq, e.kind) for e in trace]
    assert kinds == [(0, "node_start"), (1, "lm_call"), (2, "node_end")]
    end = trace.events[-1]
    assert end.elapsed_ms is not None and end.elapsed_ms >= 0 and end.data == {"ok": True, "steps": 2}
    assert end.session == "s1"


def test_a_failing_span_records_the_error_and_reraises():
    trace = Trace()
    with pytest.raises(ZeroDivisionError), trace.span("agent", "sql"):
        1 / 0  # noqa: B018
    assert [e.kind for e in trace] == ["agent_start", "error", "agent_end"]
    assert "ZeroDivisionError" in trace.events[1].data["error"] and trace.events[2].data["ok"] is False


def test_listeners_see_events_as_they_happen_and_can_leave():
    trace = Trace()
    seen = []
    stop = trace.subscribe(lambda e: seen.append(e.kind))
    trace.emit("sql", "db", sql="SELECT 1")
    stop()
    trace.emit("sql", "db", sql="SELECT 2")
    assert seen == ["sql"]


def test_sequence_numbers_are_unique_and_ordered_across_threads():
    trace = Trace()
    threads = [threading.Thread(target=lambda: [trace.emit("cache_hit", "c") for _ in range(200)]) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [e.seq for e in trace] == list(range(800))


def test_dataframe_json_round_trip_and_html(tmp_path):
    trace = Trace("s2")
    trace.emit("retrieval", "docs", hits=3, confidence=0.8)
    trace.emit("error", "sql", error="boom")
    frame = trace.to_dataframe()
    assert list(frame.columns[:5]) == ["seq", "time", "kind", "name", "elapsed_ms"]
    assert frame.loc[0, "hits"] == 3
    again = Trace.load(trace.save(tmp_path / "t.json"))
    assert [e.as_dict() for e in again] == [e.as_dict() for e in trace] and again.session == "s2"
    assert "color:#b00" in trace._repr_html_()
    assert list(Trace().to_dataframe().columns) == ["seq", "time", "kind", "name", "elapsed_ms"]


def test_unknown_event_kinds_are_refused():
    with pytest.raises(ValueError, match="Unknown trace event kind 'thought'"):
        Trace().emit("thought", "x")


def test_local_lm_calls_report_to_the_current_trace_even_from_worker_threads():
    import asyncio

    import dspy
    from common import chat_answer, recorded_lm

    from workbench.programs.adapter import LenientChatAdapter
    from workbench.programs.judge import Judge
    from workbench.tracing import current_trace, use_trace

    lm, _ = recorded_lm([chat_answer(score="0.9", feedback="good")] * 3, prompt_tokens=321)

    def judge() -> float:
        with dspy.context(lm=lm, adapter=LenientChatAdapter()):
            return Judge()(question="Is it?", evidence="yes").score

    judge()  # outside any trace: nothing is recorded anywhere
    trace = Trace("run-1")
    with use_trace(trace):
        assert current_trace() is trace
        assert asyncio.run(asyncio.to_thread(judge)) == 0.9
    assert current_trace() is None
    (call,) = trace.of_kind("lm_call")
    assert call.name == "recorded" and call.data["prompt_tokens"] == 321 and call.data["purpose"] == "complete"
    assert "Is it?" in call.data["prompt"] and "0.9" in call.data["completion"] and call.elapsed_ms >= 0


def test_trace_prompt_keeps_roles_and_the_end_of_a_long_prompt():
    from workbench.tracing import TRACE_TEXT_CHARS, trace_prompt

    messages = [{"role": "system", "content": "Be brief."}, "not a message", {"role": "user", "content": "Hi"}]
    assert trace_prompt(messages) == "[system] Be brief.\n\n[user] Hi"
    long = trace_prompt([{"role": "user", "content": "x" * TRACE_TEXT_CHARS + "the question"}])
    assert len(long) == TRACE_TEXT_CHARS and long.endswith("the question")


def test_transient_token_events_reach_listeners_but_are_not_recorded():
    trace = Trace("s")
    seen = []
    trace.subscribe(seen.append)
    child = trace.child(node="answer")
    child.notify("lm_token", "m", text="Japan")
    assert [(e.kind, e.data) for e in seen] == [("lm_token", {"node": "answer", "text": "Japan"})]
    assert len(trace) == 0 and len(child) == 0
    with pytest.raises(ValueError, match="transient"):
        trace.notify("lm_call", "m")
