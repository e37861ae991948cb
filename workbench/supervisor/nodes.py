"""The supervisor graph's nodes: plan, select, execute, evaluate, iterate, answer.

Each node reads the checkpointed ``SessionState`` and returns its update.
``Nodes.wrap`` gives every node a ``node`` span in the run's trace and puts
the events the node caused into the update, so they are checkpointed with
it. The run's trace and the live agent results (DataFrames, charts, search
results, which are not checkpointed) travel in a context variable set by the
``Supervisor`` for each run; LangGraph's tasks inherit it.

Components are plain callables, so each can be an LM program or a rule:
``planner(question, registry, feedback, iteration) -> Plan``,
``judge(question, records) -> Judgement`` and ``writer(question, evidence) -> str``.
Blocking callables run in a worker thread; coroutine functions are awaited.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.agents.base import AgentRegistry
from workbench.supervisor.evaluator import Judgement
from workbench.supervisor.evidence import join_evidence
from workbench.supervisor.executor import AgentCall, StepExecutor, select_agents
from workbench.supervisor.planning import Plan
from workbench.supervisor.state import SessionState, outcome_record, result_key
from workbench.tracing import Trace, use_trace

Planner = Callable[[str, AgentRegistry, str, int], Plan | Awaitable[Plan]]
Judge = Callable[[str, list[dict[str, Any]]], Judgement | Awaitable[Judgement]]
Writer = Callable[[str, str], str | Awaitable[str]]


@dataclass
class RunContext:
    """What one run's nodes share outside the checkpoint: its trace, the live agent results by key, and
    events emitted outside any node (``run_start``) that the next node to finish checkpoints."""

    trace: Trace
    live: dict[str, Any] = field(default_factory=dict)
    pending: list[Any] = field(default_factory=list)

    def take_pending(self) -> list[Any]:
        """The events waiting to be checkpointed, once (the list is emptied)."""
        taken, self.pending = self.pending, []
        return taken


RUN: contextvars.ContextVar[RunContext] = contextvars.ContextVar("workbench_supervisor_run")


async def call_component(fn: Callable[..., Any], *args: Any) -> Any:
    """Await a coroutine function; run a blocking one in a worker thread (the trace context goes with it)."""
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__):
        return await fn(*args)
    return await asyncio.to_thread(fn, *args)


@dataclass
class Nodes:
    """The node functions and routing rules of one supervisor (see the module docstring)."""

    registry: AgentRegistry
    executor: StepExecutor
    planner: Planner
    judge: Judge
    writer: Writer
    threshold: float
    max_iterations: int

    @staticmethod
    def wrap(name: str, fn: Callable[[Any, Trace], Awaitable[dict[str, Any]]]
             ) -> Callable[[Any], Awaitable[dict[str, Any]]]:
        """``fn(state, trace)`` as a graph node: a ``node`` span, and its events added to the update."""

        async def node(state: Any) -> dict[str, Any]:
            run = RUN.get()
            trace = run.trace.child(node=name)
            with use_trace(trace), trace.span("node", name):
                update = await fn(state, trace)
            return {**update, "events": [e.as_dict() for e in [*run.take_pending(), *trace.events]]}

        node.__name__ = name
        return node

    async def plan(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Ask the planner for steps (with the judge's feedback after the first iteration)."""
        iteration = state.get("iteration", 0)
        plan = await call_component(self.planner, state["question"], self.registry, state.get("feedback", ""),
                                    iteration)
        steps = [[{"agent": c.agent, "task": str(c.task)} for c in step] for step in plan.steps]
        trace.emit("decision", "plan", iteration=iteration, source=plan.source, steps=steps, note=plan.note)
        return {"plan": steps, "plan_source": plan.source, "plan_note": plan.note, "step": 0, "selected": []}

    async def select(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Choose the agents of the next step: healthy, circuit closed, or a stand-in; record the skipped."""
        step, iteration = state["step"], state.get("iteration", 0)
        calls = [AgentCall(c["agent"], c["task"]) for c in state["plan"][step]]
        chosen, skipped = select_agents(calls, self.registry, self.executor.breakers_for(calls), trace)
        keys = _unique_keys([o.agent for o in skipped] + [c.agent for c in chosen], iteration, step)
        records = {key: outcome_record(o, iteration, step) for key, o in zip(keys, skipped, strict=False)}
        selected = [{"agent": c.agent, "task": c.task, "substituted_for": c.substituted_for, "key": key}
                    for key, c in zip(keys[len(skipped):], chosen, strict=True)]
        return {"selected": selected, "step": step + 1, "results": records,
                "errors": [r["error"] for r in records.values()]}

    async def execute(self, payload: dict[str, Any], trace: Trace) -> dict[str, Any]:
        """Run one selected call (each call of a step is its own task, so a finished one is checkpointed)."""
        call = AgentCall(payload["agent"], payload["task"], payload.get("substituted_for", ""))
        outcome = await self.executor.run_call(call, trace)
        key = payload["key"]
        RUN.get().live[key] = outcome.result
        record = outcome_record(outcome, payload["iteration"], payload["step"])
        errors = [] if record["ok"] else [f"{call.agent}: {record['error']}"]
        return {"results": {key: record}, "errors": errors}

    async def evaluate(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Judge this iteration's records; a judge that fails scores 0 and says why."""
        iteration = state.get("iteration", 0)
        records = [r for r in state.get("results", {}).values() if r["iteration"] == iteration]
        errors = []
        try:
            judgement = await call_component(self.judge, state["question"], records)
        except Exception as exc:  # a broken judge must not lose the agents' work
            judgement = Judgement(0.0, f"The judge failed ({type(exc).__name__}: {exc}).", source="error")
            errors.append(f"judge: {type(exc).__name__}: {exc}")
        trace.emit("decision", "evaluate", iteration=iteration, score=judgement.score,
                   agent_scores=judgement.agent_scores, feedback=judgement.feedback, source=judgement.source,
                   threshold=self.threshold)
        return {"scores": [{"iteration": iteration, **judgement.as_dict()}], "errors": errors}

    async def iterate(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Start another iteration, carrying the judge's feedback to the planner."""
        last = state["scores"][-1]
        trace.emit("decision", "iterate", score=last["score"], threshold=self.threshold,
                   next_iteration=state.get("iteration", 0) + 1, feedback=last["feedback"])
        return {"iteration": state.get("iteration", 0) + 1, "feedback": last["feedback"]}

    async def answer(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Write the final answer from the evidence; without usable evidence, say so instead of asking the LM."""
        records = evidence_records(state)
        if not any(r["ok"] for r in records):
            errors = "; ".join(f"{r['agent']}: {r['error']}" for r in records) or "no agent was called"
            return {"answer": f"No answer: no agent returned usable evidence ({errors})."}
        try:
            text = await call_component(self.writer, state["question"],
                                        join_evidence([r["evidence"] for r in records]))
        except Exception as exc:  # keep the evidence even when the writer fails
            message = f"The answer could not be written ({type(exc).__name__}: {exc}); the evidence is kept."
            return {"answer": message, "errors": [f"answer: {type(exc).__name__}: {exc}"]}
        return {"answer": text}

    # routing ------------------------------------------------------------------------------------------------

    def after_select(self, state: SessionState) -> Any:
        """One ``execute`` task per selected call; with none, the next step or the evaluation."""
        from langgraph.types import Send

        if state.get("selected"):
            return [Send("execute", {**call, "iteration": state.get("iteration", 0), "step": state["step"] - 1})
                    for call in state["selected"]]
        return self.after_execute(state)

    def after_execute(self, state: SessionState) -> str:
        """The next step of the plan, or the evaluation when the plan is done."""
        return "select" if state["step"] < len(state["plan"]) else "evaluate"

    def after_evaluate(self, state: SessionState) -> str:
        """Answer when the score reaches the threshold or the iterations run out; iterate otherwise."""
        score = state["scores"][-1]["score"]
        if score >= self.threshold or state.get("iteration", 0) + 1 >= self.max_iterations:
            return "answer"
        return "iterate"


def evidence_records(state: SessionState) -> list[dict[str, Any]]:
    """What the answer rests on: the latest usable record of every (agent, task), then this iteration's failures."""
    iteration = state.get("iteration", 0)
    records = list(state.get("results", {}).values())
    usable: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if record["ok"]:
            usable[(record["agent"], record["task"])] = record
    failed = [r for r in records if not r["ok"] and r["iteration"] == iteration]
    return [*usable.values(), *failed]


def _unique_keys(agents: list[str], iteration: int, step: int) -> list[str]:
    """``result_key`` for each agent of a step; a second call to the same agent gets ``#2``, and so on."""
    seen: dict[str, int] = {}
    keys = []
    for agent in agents:
        base = result_key(iteration, step, agent)
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys
