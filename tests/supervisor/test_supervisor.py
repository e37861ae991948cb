"""The supervisor end to end, with scripted agents, planner, judge and writer (no model).

Scripted components isolate the orchestration: concurrency, timeouts, retries,
circuits, iteration, streaming, durable sessions and the notebook surface.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workbench.agents.base import AgentRegistry, FunctionAgent
from workbench.resilience import TransientError
from workbench.supervisor.evaluator import Judgement
from workbench.supervisor.executor import AgentCall
from workbench.supervisor.planning import Plan
from workbench.supervisor.supervisor import SessionNotFoundError, Supervisor

ROOT = Path(__file__).resolve().parents[2]


def sleeper(name: str, seconds: float = 0.0, calls: list[str] | None = None) -> FunctionAgent:
    async def run(task: str) -> str:
        if calls is not None:
            calls.append(task)
        await asyncio.sleep(seconds)
        return f"{name} found: {task}"

    return FunctionAgent(run, name=name, description=f"answers after {seconds} s")


def one_step(*agents: str):
    """A planner that calls ``agents`` together in one step, recording what it was told."""
    seen: list[tuple[int, str]] = []

    def plan(question, registry, feedback, iteration):
        seen.append((iteration, feedback))
        return Plan([[AgentCall(a, question) for a in agents]], "script")

    plan.seen = seen
    return plan


def scores(*values: float):
    """A judge that gives ``values`` in turn (the last one repeats)."""
    given: list[list[str]] = []

    def judge(question, records):
        given.append(sorted(r["agent"] for r in records))
        value = values[min(len(given), len(values)) - 1]
        return Judgement(value, f"score {value}: try harder", {r["agent"]: value for r in records}, "script")

    judge.given = given
    return judge


def writer(question: str, evidence: str) -> str:
    return f"Answer to {question!r} from: {evidence}"


def make(agents, *, planner=None, judge=None, sessions=":memory:", **kwargs) -> Supervisor:
    registry = agents if isinstance(agents, AgentRegistry) else AgentRegistry(agents)
    return Supervisor(registry, planner=planner or one_step(*registry.names), judge=judge or scores(1.0),
                      writer=writer, sessions=sessions, **kwargs)


def test_two_one_second_agents_in_one_step_finish_in_about_one_second():
    sup = make([sleeper("a", 1.0), sleeper("b", 1.0)])
    started = time.perf_counter()
    result = sup.run("q")
    took = time.perf_counter() - started
    assert [r["ok"] for r in result.records.values()] == [True, True]
    assert 1.0 <= took < 1.7, f"two 1 s agents took {took:.2f} s: they did not run concurrently"
    assert "a found: q" in result.answer and "b found: q" in result.answer


def test_two_calls_to_one_agent_in_a_step_keep_both_results():
    def plan(question, registry, feedback, iteration):
        return Plan([[AgentCall("a", "first"), AgentCall("a", "second")]], "script")

    result = make([sleeper("a")], planner=plan).run("q")
    assert {k: r["task"] for k, r in result.records.items()} == {"i0.s0.a": "first", "i0.s0.a#2": "second"}


def test_an_agent_past_its_timeout_gives_partial_results_and_a_recorded_error():
    sup = make([sleeper("fast", 0.01), sleeper("slow", 10)], agent_timeout_s=0.2, attempts=1)
    result = sup.run("q")
    fast, slow = result.records["i0.s0.fast"], result.records["i0.s0.slow"]
    assert fast["ok"] and "fast found: q" in result.answer
    assert not slow["ok"] and slow["error_kind"] == "timeout" and "0.2 s" in slow["error"]
    assert any(e.startswith("slow: no answer within 0.2 s") for e in result.errors)
    assert [e.name for e in result.trace.of_kind("error")] == ["slow"]


def test_a_circuit_opens_after_repeated_failures_and_the_selector_substitutes():
    failures: list[str] = []

    async def broken(task: str) -> str:
        failures.append(task)
        raise RuntimeError("database is down")

    registry = AgentRegistry()
    registry.register(FunctionAgent(broken, name="primary", description="the usual source"), alternatives=["backup"])
    registry.register(sleeper("backup"))
    sup = make(registry, planner=one_step("primary"), failure_threshold=2, attempts=1)
    first, second = sup.run("q1"), sup.run("q2")
    assert [first.records["i0.s0.primary"]["error"], second.records["i0.s0.primary"]["error"]] == [
        "RuntimeError: database is down"] * 2
    third = sup.run("q3")
    assert failures == ["q1", "q2"]  # the open circuit kept the third call away from the broken agent
    (record,) = third.records.values()
    assert record["agent"] == "backup" and record["substituted_for"] == "primary" and record["ok"]
    (why,) = [e for e in third.trace.of_kind("error") if e.data.get("during") == "select"]
    assert "circuit is open after 2 consecutive failures; using backup instead" in why.data["error"]


def test_transient_failures_are_retried_after_a_backoff():
    attempts: list[float] = []

    async def flaky(task: str) -> str:
        attempts.append(time.perf_counter())
        if len(attempts) < 3:
            raise TransientError("busy, try again")
        return "finally"

    sup = make([FunctionAgent(flaky, name="flaky", description="fails twice")], attempts=3)
    sup.executor.base_delay_s = 0.05
    result = sup.run("q")
    record = result.records["i0.s0.flaky"]
    assert record["ok"] and record["attempts"] == 3
    retries = result.trace.of_kind("retry")
    assert [e.data["attempt"] for e in retries] == [1, 2]
    waited = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(w >= e.data["wait_ms"] / 1000 - 0.005 for w, e in zip(waited, retries, strict=True))


def test_iteration_stops_once_the_score_reaches_the_threshold():
    planner, judge = one_step("a"), scores(0.2, 0.9, 1.0)
    result = make([sleeper("a")], planner=planner, judge=judge, threshold=0.6, max_iterations=5).run("q")
    assert result.iterations == 2 and result.score == 0.9
    assert planner.seen == [(0, ""), (1, "score 0.2: try harder")]  # the judge's feedback reached the planner
    assert list(result.records) == ["i0.s0.a", "i1.s0.a"]
    assert [e.data["score"] for e in result.trace.of_kind("decision") if e.name == "iterate"] == [0.2]


def test_iteration_stops_at_the_maximum_and_still_answers():
    result = make([sleeper("a")], judge=scores(0.1), threshold=0.6, max_iterations=3).run("q")
    assert result.iterations == 3 and [s["score"] for s in result.scores] == [0.1, 0.1, 0.1]
    assert result.answer.startswith("Answer to 'q'")


def test_a_failing_judge_scores_zero_keeps_the_evidence_and_says_why():
    def judge(question, records):
        raise ValueError("judge LM unreachable")

    result = make([sleeper("a")], judge=judge, max_iterations=1).run("q")
    assert result.score == 0.0 and "a found: q" in result.answer
    assert result.errors == ["judge: ValueError: judge LM unreachable"]


def test_stream_events_arrive_in_causal_order():
    sup = make([sleeper("a", 0.05), sleeper("b", 0.1)])

    async def collect():
        return [event async for event in sup.astream("q")]

    events = asyncio.run(collect())
    assert [e.seq for e in events] == sorted(e.seq for e in events)
    assert events[0].kind == "run_start" and events[-1].kind == "run_end"
    assert events[-1].data["result"].answer.startswith("Answer")
    nodes = [(e.kind, e.name) for e in events if e.kind in ("node_start", "node_end") and e.name != "execute"]
    assert nodes == [("node_start", "plan"), ("node_end", "plan"), ("node_start", "select"), ("node_end", "select"),
                     ("node_start", "evaluate"), ("node_end", "evaluate"), ("node_start", "answer"),
                     ("node_end", "answer")]
    agents = [(e.kind, e.name) for e in events if e.kind in ("agent_start", "agent_end")]
    assert agents == [("agent_start", "a"), ("agent_start", "b"), ("agent_end", "a"), ("agent_end", "b")]
    position = {(e.kind, e.name): i for i, e in enumerate(events)}
    assert position[("node_end", "select")] < position[("agent_start", "a")]
    assert position[("agent_end", "b")] < position[("node_start", "evaluate")]
    # the run's trace holds exactly what was streamed
    assert [e.seq for e in events[-1].data["result"].trace] == [e.seq for e in events]


def test_run_works_inside_a_running_event_loop_as_in_jupyter():
    sup = make([sleeper("a")])

    async def notebook_cell():
        return sup.run("q")

    assert asyncio.run(notebook_cell()).answer.startswith("Answer to 'q'")


def test_the_result_shows_answer_evidence_scores_and_timings_in_a_notebook():
    result = make([sleeper("a"), sleeper("b")]).run("q")
    page = result._repr_html_()
    assert "Answer to" in page and "a found: q" in page and "Evaluation" in page and " ms, 1 attempt" in page
    frame = result.trace.to_dataframe()
    assert {"seq", "kind", "name", "elapsed_ms", "node"} <= set(frame.columns)
    assert frame["kind"].iloc[0] == "run_start" and "score=1.00" in repr(result)


def test_history_lists_every_node_of_a_session(tmp_path):
    sup = make([sleeper("a"), sleeper("b")], sessions=tmp_path / "sessions.db")
    result = sup.run("q", session_id="s-1")
    history = sup.history("s-1")
    assert list(history["ran"]) == ["(input)", "plan", "select", "execute ×2", "evaluate", "answer"]
    assert list(history["results"])[-1] == 2 and history["score"].iloc[-1] == 1.0
    assert sup.sessions() == ["s-1"]
    # a second supervisor on the same store sees the finished session, and resuming it runs nothing
    again = make([sleeper("a"), sleeper("b")], sessions=tmp_path / "sessions.db")
    assert again.resume("s-1").answer == result.answer and again.result("s-1").finished


def test_an_unknown_session_is_a_clear_error():
    with pytest.raises(SessionNotFoundError, match=r"No session 'nope'.*sessions\(\) lists"):
        make([sleeper("a")]).resume("nope")


CHILD = """
import asyncio, sys
from workbench.agents.base import AgentRegistry, FunctionAgent
from workbench.supervisor.evaluator import Judgement
from workbench.supervisor.executor import AgentCall
from workbench.supervisor.planning import Plan
from workbench.supervisor.supervisor import Supervisor

async def quick(task):
    return "quick result"

async def slow(task):
    await asyncio.sleep(60)
    return "slow result"

def plan(question, registry, feedback, iteration):
    return Plan([[AgentCall("quick", question), AgentCall("slow", question)]], "script")

sup = Supervisor(AgentRegistry([FunctionAgent(quick, name="quick", description="q"),
                                FunctionAgent(slow, name="slow", description="s")]),
                 planner=plan, judge=lambda q, r: Judgement(1.0, "ok"), writer=lambda q, e: e,
                 sessions=sys.argv[1])

async def main():
    async for event in sup.astream("what happened?", session_id="killed"):
        print(event.kind, event.name, flush=True)

asyncio.run(main())
"""


def test_a_run_killed_after_one_agent_finished_resumes_without_rerunning_it(tmp_path):
    store = tmp_path / "sessions.db"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    child = subprocess.Popen([sys.executable, str(script), str(store)], stdout=subprocess.PIPE, text=True,
                             cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        seen = []
        for line in child.stdout:
            seen.append(line.strip())
            if line.strip() == "agent_end quick":
                time.sleep(0.3)  # let the finished call's checkpoint write land
                break
        assert "agent_end quick" in seen, f"the child ended early: {seen}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)

    quick_calls: list[str] = []
    slow_calls: list[str] = []
    sup = make([sleeper("quick", calls=quick_calls), sleeper("slow", calls=slow_calls)], sessions=store)
    assert not sup.result("killed").finished
    result = sup.resume("killed")
    assert quick_calls == [] and slow_calls == ["what happened?"]
    assert result.records["i0.s0.quick"]["evidence"].endswith("quick result")  # from the checkpoint
    assert "slow found" in result.records["i0.s0.slow"]["evidence"] and result.finished
    assert "quick result" in result.answer and "slow found" in result.answer
    run_starts = [e for e in result.trace if e.kind == "run_start"]
    assert [e.data["resumed"] for e in run_starts] == [False, True]  # the trace spans both processes


def test_a_recorded_lm_plans_judges_and_writes_and_every_call_is_traced():
    """Also the README's "add an agent in a notebook" example: a decorated function, registered on the fly."""
    from common import chat_answer, recorded_lm

    import workbench

    lm, llama = recorded_lm([
        chat_answer(plan=json.dumps([[{"agent": "currency", "task": "100 USD in EUR"}]])),
        chat_answer(score="0.8", feedback="Complete.", agent_scores="currency: 0.8"),
        chat_answer(answer="100 USD is 92 EUR [currency]."),
    ], prompt_tokens=123)
    sup = workbench.Supervisor([sleeper("a")], lm=lm, judge="lm", sessions=":memory:")

    @workbench.agent(description="Converts an amount between currencies at today's rate.")
    def currency(task: str) -> str:
        return "100 USD = 92.00 EUR"

    sup.registry.register(currency)
    result = sup.run("What is 100 USD in EUR?")
    assert "- currency: Converts an amount" in llama.prompt(0)  # the planner was shown the new agent
    assert result.plan_source == "lm" and result.plan == [[{"agent": "currency", "task": "100 USD in EUR"}]]
    assert result.score == 0.8 and result.answer == "100 USD is 92 EUR [currency]."
    assert result.scores[0]["agent_scores"] == {"currency": 0.8}
    calls = result.lm_calls()
    assert list(calls["node"]) == ["plan", "evaluate", "answer"]
    assert (calls["prompt_tokens"] == 123).all() and (calls["elapsed_ms"] >= 0).all()
    assert "100 USD = 92.00 EUR" in llama.prompt(1)  # the judge saw the agent's evidence


def test_a_table_result_shows_sql_chart_and_rows_and_jupyter_gets_the_chart_as_a_figure(monkeypatch):
    import pandas as pd

    from workbench.agents.charts import choose_chart
    from workbench.agents.data_analysis import DataAnalysisResult

    frame = pd.DataFrame({"day": ["Thur", "Fri", "Sat"], "average_tip": [2.77, 2.73, 2.99]})
    kind, figure = choose_chart(frame, title="tips")

    async def sql(task: str):
        return DataAnalysisResult(task, "SELECT day, AVG(tip) FROM tips GROUP BY day", frame, "3 rows", kind, figure,
                                  [], {"sql": 0.1}, {}, "key")

    result = make([FunctionAgent(sql, name="data_analysis", description="SQL")]).run("Average tip per day?")
    page = result._repr_html_()
    assert "SELECT day, AVG(tip)" in page and "plotly" in page and "Thur" in page
    shown: list = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    result._ipython_display_()
    live = result.evidence(next(iter(result.records)))
    assert shown[1] is live  # the agent's result shows itself ...
    shown.clear()
    live._ipython_display_()
    assert [type(x).__name__ for x in shown] == ["HTML", "Figure", "HTML"]  # ... with the chart as a figure
    assert "SELECT day" in shown[0].data and "Thur" in shown[2].data
