"""The trace viewer and the magics, on real supervisor runs with scripted agents (no model)."""

from __future__ import annotations

import asyncio

import pytest

from workbench.agents.base import AgentRegistry, FunctionAgent
from workbench.supervisor.evaluator import Judgement
from workbench.supervisor.executor import AgentCall
from workbench.supervisor.planning import Plan
from workbench.supervisor.supervisor import Supervisor
from workbench.tracing import Trace
from workbench.widgets.trace_viewer import TraceViewer, spans, timeline_figure


def _supervisor(fail: bool = False) -> Supervisor:
    async def lookup(task: str) -> str:
        await asyncio.sleep(0.01)
        if fail:
            raise ValueError("the table is missing")
        return f"found {task}"

    registry = AgentRegistry([FunctionAgent(lookup, name="lookup", description="looks things up")])
    return Supervisor(registry, planner=lambda q, r, f, i: Plan([[AgentCall("lookup", q)]], "script"),
                      judge=lambda q, records: Judgement(0.9, "fine", {}, "script"),
                      writer=lambda q, evidence: f"answer from {evidence}", sessions=":memory:")


def _with_lm_sql_and_sources(trace: Trace) -> Trace:
    trace.emit("lm_call", "qwen", elapsed_ms=1200.0, node="plan", prompt_tokens=300, completion_tokens=20,
               prompt="[user] which agent?", completion="lookup")
    trace.emit("sql", "data_analysis", sql="SELECT count(*) FROM singer", rows=1, ok=True, error="",
               columns=["count(*)"], preview=[["6"]])
    trace.emit("retrieval", "retrieval", query="exercise", hits=2, confidence=0.7, doc_ids=["d1", "d2"],
               scores=[0.91, 0.42], titles=["Exercise and mortality", "Diet"])
    return trace


def test_the_viewer_shows_spans_lm_calls_sql_sources_and_errors():
    result = _supervisor(fail=True).run("how many?")
    trace = _with_lm_sql_and_sources(result.trace)
    viewer = TraceViewer(trace)

    assert "1 LM calls" in viewer._summary.value and "320 tokens" in viewer._summary.value
    assert "errors" in viewer._summary.value and "#b00" in viewer._errors.value
    assert "the table is missing" in viewer._errors.value
    assert len(viewer._lm_calls.children) == 1
    assert "plan" in viewer._lm_calls.get_title(0) and "300+20 tokens" in viewer._lm_calls.get_title(0)
    assert "which agent?" in viewer._lm_calls.children[0].value
    assert "SELECT count(*) FROM singer" in viewer._details.value
    assert "<th>count(*)</th>" in viewer._details.value and "<td>6</td>" in viewer._details.value  # its result
    assert "Exercise and mortality" in viewer._details.value and "0.910" in viewer._details.value
    names = {(s["kind"], s["name"]) for s in spans(trace)}
    assert {("node", "plan"), ("node", "execute"), ("agent", "lookup")} <= names
    assert any(not s["ok"] for s in spans(trace) if s["kind"] == "agent")  # the failed agent is red
    assert len(timeline_figure(trace).data) == len(spans(trace))
    assert viewer._timeline.outputs and "application/vnd.plotly.v1+json" in viewer._timeline.outputs[0]["data"]


def test_the_viewer_follows_a_streaming_run_event_by_event():
    supervisor = _supervisor()
    viewer = TraceViewer()
    seen = []

    async def stream():
        async for event in supervisor.astream("how many?"):
            viewer.add(event)
            seen.append(len(viewer.trace))

    asyncio.run(stream())
    assert seen == list(range(1, len(seen) + 1))  # it grew with every event
    assert "running" not in viewer._summary.value and f"{len(seen)} events" in viewer._summary.value


def test_a_live_viewer_redraws_on_events_and_a_saved_trace_reopens(tmp_path):
    trace = Trace("s1")
    viewer = TraceViewer.live(trace)
    with trace.span("node", "plan"):
        pass
    trace.emit("run_end", "supervisor", ok=True)  # run_end always redraws
    assert "3 events" in viewer._summary.value
    path = _with_lm_sql_and_sources(trace).save(tmp_path / "t.json")
    reopened = TraceViewer.open(path)
    assert len(reopened.trace) == len(trace) and "1 LM calls" in reopened._summary.value


def test_magics_ask_a_notebook_supervisor_and_reopen_its_trace(tmp_path):
    from IPython.core.interactiveshell import InteractiveShell

    import workbench

    shell = InteractiveShell.instance()
    workbench.load_ipython_extension(shell)
    shell.user_ns["sup"] = _supervisor()
    result = shell.run_cell_magic("ask", "--supervisor sup", "how many?")
    assert result.answer.startswith("answer from") and shell.user_ns["_ask"] is result
    viewer = shell.run_line_magic("workbench_trace", "")
    assert isinstance(viewer, TraceViewer) and len(viewer.trace) == len(result.trace)
    with pytest.raises(ValueError, match="no Supervisor"):
        shell.run_cell_magic("ask", "--supervisor nothing", "q")
    with pytest.raises(ValueError, match="neither a notebook variable nor a file"):
        shell.run_line_magic("workbench_trace", "missing")


def test_a_trace_logged_to_mlflow_reopens_in_the_viewer(tmp_path, settings):
    import mlflow

    from workbench.tracking import start_run

    trace = _with_lm_sql_and_sources(_supervisor().run("how many?").trace)
    with start_run("viewer-test", settings=settings) as run:
        mlflow.log_text(trace.to_json(), f"traces/{trace.session}.json")
    viewer = TraceViewer.from_mlflow(run.info.run_id, settings=settings)
    assert len(viewer.trace) == len(trace) and "SELECT count(*) FROM singer" in viewer._details.value
    with start_run("viewer-test", settings=settings) as empty:
        pass
    with pytest.raises(FileNotFoundError, match="no traces"):
        TraceViewer.from_mlflow(empty.info.run_id, settings=settings)


def test_the_viewer_shows_each_iterations_probability_failed_checks_and_the_answer_check():
    checks = [{"name": "ran", "value": 1.0, "passed": True, "note": ""},
              {"name": "agreement", "value": 0.0, "passed": False, "note": "1 of 1 sampled queries differ"}]
    judge = lambda q, records: Judgement(0.35, "data: 1 of 1 sampled queries differ", {"lookup": 0.35}, "grounded",  # noqa: E731
                                         checks={"lookup": checks})
    registry = AgentRegistry([FunctionAgent(lambda t: "found 6", name="lookup", description="looks things up")])
    result = Supervisor(registry, planner=lambda q, r, f, i: Plan([[AgentCall("lookup", q)]], "script"),
                        judge=judge, writer=lambda q, e: "There are 6.", sessions=":memory:", threshold=0.6,
                        max_iterations=2).run("how many?")
    page = TraceViewer(result.trace)._details.value
    assert "probability right" in page and "0.35" in page and "threshold 0.60" in page and "#b00" in page
    assert "lookup: agreement" in page and "sampled queries differ" in page
    assert "faithful (draft)" in page
