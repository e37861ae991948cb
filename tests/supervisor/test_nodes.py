"""Supervisor nodes: routing rules, evidence selection, result keys, and components sync or async."""

from __future__ import annotations

import asyncio
import threading

from workbench.agents.base import AgentRegistry, FunctionAgent
from workbench.supervisor.executor import StepExecutor
from workbench.supervisor.nodes import Nodes, _unique_keys, call_component, evidence_records


def nodes(threshold: float = 0.6, max_iterations: int = 2) -> Nodes:
    registry = AgentRegistry([FunctionAgent(lambda t: t, name="a", description="echo")])
    return Nodes(registry, StepExecutor(registry), planner=None, judge=None, writer=None,  # type: ignore[arg-type]
                 threshold=threshold, max_iterations=max_iterations)


def record(agent: str, task: str, iteration: int, ok: bool = True) -> dict:
    return {"agent": agent, "task": task, "iteration": iteration, "ok": ok, "error": "" if ok else "boom"}


def test_evaluation_answers_at_the_threshold_or_the_last_iteration_and_iterates_otherwise():
    n = nodes(threshold=0.6, max_iterations=2)
    assert n.after_evaluate({"scores": [{"score": 0.6}], "iteration": 0}) == "answer"
    assert n.after_evaluate({"scores": [{"score": 0.5}], "iteration": 0}) == "iterate"
    assert n.after_evaluate({"scores": [{"score": 0.1}], "iteration": 1}) == "answer"


def test_the_plan_goes_step_by_step_then_to_evaluation():
    n = nodes()
    plan = [[{"agent": "a", "task": "x"}], [{"agent": "a", "task": "y"}]]
    assert n.after_execute({"plan": plan, "step": 1}) == "select"
    assert n.after_execute({"plan": plan, "step": 2}) == "evaluate"
    sends = n.after_select({"plan": plan, "step": 1, "iteration": 0,
                            "selected": [{"agent": "a", "task": "x", "key": "i0.s0.a"}]})
    assert [(s.node, s.arg["key"], s.arg["step"]) for s in sends] == [("execute", "i0.s0.a", 0)]


def test_the_answer_rests_on_the_latest_usable_record_of_each_call_and_this_iterations_failures():
    results = {"1": record("sql", "t", 0), "2": record("docs", "u", 0, ok=False), "3": record("sql", "t", 1),
               "4": record("docs", "u", 1, ok=False), "5": record("docs", "v", 1)}
    chosen = evidence_records({"results": results, "iteration": 1})
    assert [(r["agent"], r["task"], r["iteration"], r["ok"]) for r in chosen] == [
        ("sql", "t", 1, True), ("docs", "v", 1, True), ("docs", "u", 1, False)]


def test_two_calls_to_one_agent_in_a_step_get_distinct_keys():
    assert _unique_keys(["a", "b", "a", "a"], 0, 1) == ["i0.s1.a", "i0.s1.b", "i0.s1.a#2", "i0.s1.a#3"]


def test_blocking_components_run_in_a_worker_thread_and_coroutines_are_awaited():
    main = threading.get_ident()

    def blocking(x: int) -> tuple[int, bool]:
        return x + 1, threading.get_ident() != main

    async def coroutine(x: int) -> int:
        return x * 2

    class Callable:
        async def __call__(self, x: int) -> int:
            return x - 1

    assert asyncio.run(call_component(blocking, 1)) == (2, True)
    assert asyncio.run(call_component(coroutine, 4)) == 8
    assert asyncio.run(call_component(Callable(), 4)) == 3
