"""``Supervisor``: ask a question, get an answer with its evidence and a full trace.

    >>> sup = Supervisor([DataAnalysisAgent("data/demo.duckdb"), InformationRetrievalAgent(corpus)])
    >>> result = sup.run("Average tip per day, and what do studies say about tipping?")  # doctest: +SKIP
    >>> async for event in sup.astream("..."):                                           # doctest: +SKIP
    ...     print(event.kind, event.name)

A run plans (a router that needs no LM when the question says what it needs,
else the LM planner, with the router again when that plan is unusable),
selects available agents, runs each step's agents concurrently
under timeouts with retries and circuit breakers, lets the judge score the
results, re-plans with the judge's feedback while the score is below the
threshold, and writes the answer citing the evidence. Every run is a session
checkpointed after every node in SQLite (``Settings.sessions_db``):
``resume(session_id)`` continues an interrupted run without redoing finished
agent calls, and ``history(session_id)`` lists its checkpoints.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import dataclasses
import itertools
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.agents.base import Agent, AgentRegistry
from workbench.config import Settings, get_settings
from workbench.errors import WorkbenchError
from workbench.supervisor.nodes import RUN, Judge, Nodes, Planner, RunContext, Writer
from workbench.supervisor.result import RunResult
from workbench.tracing import Trace, TraceEvent

if TYPE_CHECKING:
    import dspy
    import pandas as pd
    from langchain_core.runnables import RunnableConfig

_DONE = object()


class SessionNotFoundError(WorkbenchError, KeyError):
    """No checkpointed session has this id."""


class Supervisor:
    """Plans, runs and judges worker agents for a question; see the module docstring.

    Args:
        agents: The workers (an ``AgentRegistry`` or agents to register).
        lm: The LM of the planner, judge and answer writer: a ``dspy.LM`` or a model name; default the ``lm``
            setting. Loaded on first use, and only when a component needs it.
        planner: ``"auto"`` (default: the router when the question names the work, else the LM planner),
            ``"lm"``, ``"router"`` (deterministic, no LM), or a callable
            ``(question, registry, feedback, iteration) -> Plan``.
        judge: ``"grounded"`` (default: the probability that each answer is right, from checks; no LM),
            ``"lm"`` (the DSPy judge on ``lm``), or a callable ``(question, records) -> Judgement``.
        writer: A callable ``(question, evidence) -> str``; default the LM answer writer.
        answer: ``"draft"`` (default: the writer drafts from all the evidence, the draft is checked, rewritten once
            if unfaithful, and replaced by the rows written out if still unfaithful) or ``"rows"`` (SQL results are
            written out from their rows without an LM; the writer only writes about the other evidence, and only
            its supported sentences are kept: faster, and faithful by construction).
        sessions: Where sessions are checkpointed: a SQLite path, ``":memory:"``, or a LangGraph checkpointer;
            default ``Settings.sessions_path``.
        settings: Defaults for threshold, iterations and timeouts (``get_settings()`` when omitted).
        threshold, max_iterations, agent_timeout_s, step_timeout_s: Override those settings.
        attempts: Tries per agent call for transient errors and timeouts.
        failure_threshold, reset_after_s: Circuit breakers, one per agent, shared by every session.
    """

    def __init__(self, agents: AgentRegistry | Iterable[Agent], *, lm: dspy.BaseLM | str | None = None,
                 planner: str | Planner = "auto", judge: str | Judge = "grounded", writer: Writer | None = None,
                 sessions: str | Path | Any | None = None, settings: Settings | None = None,
                 threshold: float | None = None, max_iterations: int | None = None, answer: str = "draft",
                 agent_timeout_s: float | None = None, step_timeout_s: float | None = None, attempts: int = 2,
                 failure_threshold: int = 3, reset_after_s: float = 30.0) -> None:
        from workbench.supervisor.executor import StepExecutor

        if answer not in ("draft", "rows"):
            raise ValueError(f"answer must be 'draft' or 'rows', got {answer!r}")
        self.settings = settings or get_settings()
        self.registry = agents if isinstance(agents, AgentRegistry) else AgentRegistry(agents)
        if not len(self.registry):
            raise ValueError("A supervisor needs at least one agent; pass agents=[...] or an AgentRegistry")
        self._lm = lm
        self._loaded_lm: dspy.BaseLM | None = None
        s = self.settings
        self.executor = StepExecutor(self.registry, agent_timeout_s=agent_timeout_s or s.agent_timeout_s,
                                     step_timeout_s=step_timeout_s or s.step_timeout_s, attempts=attempts,
                                     failure_threshold=failure_threshold, reset_after_s=reset_after_s)
        self.nodes = Nodes(self.registry, self.executor, planner=self._planner(planner),
                           judge=self._judge(judge), writer=writer or self._lm_component("writer"),
                           threshold=s.supervisor_threshold if threshold is None else threshold,
                           max_iterations=max_iterations or s.supervisor_max_iterations, answer_mode=answer)
        self.checkpointer = self._checkpointer(sessions)
        from workbench.supervisor.graph import build_graph

        self.graph = build_graph(self.nodes, self.checkpointer)

    # running -------------------------------------------------------------------------------------------------

    async def arun(self, question: str, *, session_id: str | None = None) -> RunResult:
        """Answer ``question`` (a new session, or ``session_id`` for a new question in a named one)."""
        return await self._drive(question, session_id or new_session_id(), None)

    def run(self, question: str, *, session_id: str | None = None) -> RunResult:
        """``arun`` for scripts and notebooks: works with or without a running event loop (Jupyter has one)."""
        return run_sync(self.arun(question, session_id=session_id))

    async def astream(self, question: str, *, session_id: str | None = None) -> AsyncIterator[TraceEvent]:
        """Yield the run's ``TraceEvent``s as they happen: nodes, agents, LM calls, SQL, retrieval, errors.

        The last event is ``run_end``; its ``data["result"]`` is the ``RunResult``.
        """
        async for event in self._stream(question, session_id or new_session_id(), None):
            yield event

    async def aresume(self, session_id: str) -> RunResult:
        """Continue an interrupted session from its last checkpoint; finished agent calls are not redone.

        A session that already finished returns its stored result without running anything.
        """
        return await self._drive(None, session_id, self._stored(session_id))

    def resume(self, session_id: str) -> RunResult:
        """``aresume`` for scripts and notebooks."""
        return run_sync(self.aresume(session_id))

    async def aresume_stream(self, session_id: str) -> AsyncIterator[TraceEvent]:
        """``astream`` for a resumed session."""
        async for event in self._stream(None, session_id, self._stored(session_id)):
            yield event

    # sessions ------------------------------------------------------------------------------------------------

    def history(self, session_id: str) -> pd.DataFrame:
        """One row per checkpoint of the session, oldest first: step, the node(s) that ran (``(input)`` for
        the question arriving, ``execute ×2`` for two agent calls), what comes next, iteration, plan step,
        results so far, last score, and when."""
        import pandas as pd

        self._stored(session_id)
        snapshots = list(self.graph.get_state_history(_config(session_id)))[::-1]
        rows = []
        for before, snap in itertools.pairwise(snapshots):  # each row: what ran, then the state
            values = snap.values or {}
            scores = values.get("scores") or []
            rows.append({"step": (snap.metadata or {}).get("step"), "ran": _names(before.next),
                         "next": _names(snap.next), "iteration": values.get("iteration", 0),
                         "plan_step": values.get("step", 0), "results": len(values.get("results") or {}),
                         "score": scores[-1]["score"] if scores else None,
                         "created_at": pd.Timestamp(snap.created_at) if snap.created_at else None,
                         "checkpoint_id": snap.config["configurable"]["checkpoint_id"]})
        return pd.DataFrame(rows)

    def sessions(self) -> list[str]:
        """Ids of the stored sessions, most recent first."""
        ids = getattr(self.checkpointer, "thread_ids", None)
        return ids() if callable(ids) else sorted({c.config["configurable"]["thread_id"]
                                                   for c in self.checkpointer.list(None)})

    def result(self, session_id: str) -> RunResult:
        """The stored state of a session as a ``RunResult`` (``finished`` says whether it ran to the end)."""
        snapshot = self._stored(session_id)
        trace = Trace(session_id, _stored_events(snapshot.values))
        return _result(snapshot.values, session_id, trace, {}, 0.0, finished=not snapshot.next)

    # internals -----------------------------------------------------------------------------------------------

    async def _drive(self, question: str | None, session_id: str, stored: Any) -> RunResult:
        """Run to the end in the caller's task (no streaming: no queue, no extra task)."""
        if stored is not None and not stored.next:  # already finished: nothing to run
            return self.result(session_id)
        context = self._context(session_id, stored)
        token = RUN.set(context)  # LangGraph's tasks copy the context, so every node sees this run
        try:
            end = await self._graph_run(question, session_id, context)
        finally:
            RUN.reset(token)
        return end.data["result"]

    async def _stream(self, question: str | None, session_id: str, stored: Any) -> AsyncIterator[TraceEvent]:
        """Run the graph in its own task, with the run context set, handing events over as they are emitted."""
        if stored is not None and not stored.next:  # already finished: nothing to run
            result = self.result(session_id)
            yield _with_result(Trace(session_id).emit("run_end", "supervisor", ok=True, resumed=True), result)
            return
        context = self._context(session_id, stored)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[Any] = asyncio.Queue()
        unsubscribe = context.trace.subscribe(lambda e: loop.call_soon_threadsafe(events.put_nowait, e))
        run_context = contextvars.copy_context()
        run_context.run(RUN.set, context)
        task = asyncio.create_task(self._graph_run(question, session_id, context), context=run_context)
        task.add_done_callback(lambda _: loop.call_soon_threadsafe(events.put_nowait, _DONE))
        try:
            while (item := await events.get()) is not _DONE:
                if item.kind != "run_end":
                    yield item
            yield await task  # the run_end event with the result (or what the run raised)
        finally:
            unsubscribe()
            if not task.done():
                task.cancel()

    @staticmethod
    def _context(session_id: str, stored: Any) -> RunContext:
        """A run's context: its trace continues the stored session's events, if any."""
        return RunContext(Trace(session_id, _stored_events(stored.values if stored is not None else {})))

    async def _graph_run(self, question: str | None, session_id: str, context: RunContext) -> TraceEvent:
        trace = context.trace
        started = time.perf_counter()
        context.pending.append(trace.emit("run_start", "supervisor", question=question, resumed=question is None))
        inputs = None if question is None else {"question": question, "session_id": session_id, "iteration": 0}
        try:
            values = await self.graph.ainvoke(inputs, _config(session_id), durability="sync")
        except BaseException as exc:
            trace.emit("error", "supervisor", error=f"{type(exc).__name__}: {exc}", during="run")
            raise
        result = _result(values, session_id, trace, context.live, time.perf_counter() - started)
        end = trace.emit("run_end", "supervisor", elapsed_ms=result.elapsed_s * 1000, ok=not result.errors,
                         score=result.score, iterations=result.iterations, answer=result.answer[:500])
        return _with_result(end, result)

    def _stored(self, session_id: str) -> Any:
        snapshot = self.graph.get_state(_config(session_id))
        if not snapshot.values:
            raise SessionNotFoundError(f"No session {session_id!r} in {self._where()}; supervisor.sessions() "
                                       "lists the stored ones")
        return snapshot

    def _where(self) -> str:
        conn = getattr(self.checkpointer, "conn", None)
        return f"the session store {self.settings.sessions_path}" if conn is not None else "this supervisor"

    def _checkpointer(self, sessions: str | Path | Any | None) -> Any:
        from workbench.supervisor.checkpoints import open_saver

        if sessions is None:
            return open_saver(self.settings.sessions_path)
        if isinstance(sessions, str | Path):
            return open_saver(sessions)
        return sessions

    @property
    def lm(self) -> dspy.BaseLM:
        """The LM of the LM-backed components (loaded on first use)."""
        if self._loaded_lm is None:
            from workbench.lm import resolve_lm

            # its own slot: the writer's prompts do not evict the agents' schema prefix from the model's cache
            self._loaded_lm = resolve_lm(self._lm, settings=self.settings, slot="supervisor")
        return self._loaded_lm

    def _planner(self, planner: str | Planner) -> Planner:
        from workbench.supervisor.planning import AutoPlanner, LMPlanner, router_planner

        if planner == "router":
            return router_planner
        if planner == "lm":
            return lambda *args: LMPlanner(self.lm)(*args)
        if planner == "auto":
            return AutoPlanner(lambda *args: LMPlanner(self.lm)(*args))
        if callable(planner):
            return planner
        raise ValueError(f"planner must be 'auto', 'lm', 'router' or a callable, got {planner!r}")

    def _judge(self, judge: str | Judge) -> Judge:
        if judge == "grounded":
            from workbench.supervisor.grounded import GroundedEvaluator

            return GroundedEvaluator()
        if judge == "lm":
            return self._lm_component("judge")
        if callable(judge):
            return judge
        raise ValueError(f"judge must be 'grounded', 'lm' or a callable, got {judge!r}")

    def _lm_component(self, kind: str) -> Any:
        from workbench.supervisor.evaluator import LMJudge
        from workbench.supervisor.writer import LMAnswerWriter

        make = LMJudge if kind == "judge" else LMAnswerWriter
        return lambda *args: make(self.lm)(*args)

    def __repr__(self) -> str:
        n = self.nodes
        return (f"Supervisor(agents={self.registry.names}, threshold={n.threshold}, "
                f"max_iterations={n.max_iterations})")

    def _repr_html_(self) -> str:
        n = self.nodes
        return (f"<p><b>Supervisor</b>: threshold {n.threshold}, up to {n.max_iterations} iterations, agent "
                f"timeout {self.executor.agent_timeout_s} s, sessions in <code>{self._where()}</code></p>"
                + self.registry._repr_html_())


def _with_result(event: TraceEvent, result: RunResult) -> TraceEvent:
    """The ``run_end`` event as streamed: the traced event plus ``data["result"]`` (kept out of the trace)."""
    return dataclasses.replace(event, data={**event.data, "result": result})


def _stored_events(values: dict[str, Any]) -> list[TraceEvent]:
    """The checkpointed trace events of a session, in the order they happened (concurrent nodes interleave)."""
    return sorted((TraceEvent(**e) for e in values.get("events", [])), key=lambda e: e.seq)


def _names(nodes: tuple[str, ...]) -> str:
    """Node names of a checkpoint's tasks, counted: ``select``, ``execute ×2``; ``(input)`` for the start."""
    counts = Counter("(input)" if n == "__start__" else n for n in nodes)
    return ", ".join(n if c == 1 else f"{n} ×{c}" for n, c in counts.items())


def new_session_id() -> str:
    """A fresh session id."""
    return uuid.uuid4().hex[:12]


def _config(session_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": session_id}}


def _result(values: dict[str, Any], session_id: str, trace: Trace, live: dict[str, Any], elapsed_s: float, *,
            finished: bool = True) -> RunResult:
    return RunResult(session_id=session_id, question=values.get("question", ""), answer=values.get("answer", ""),
                     records=dict(values.get("results") or {}), scores=list(values.get("scores") or []),
                     plan=list(values.get("plan") or []), plan_source=values.get("plan_source", ""),
                     plan_note=values.get("plan_note", ""), iterations=values.get("iteration", 0) + 1,
                     errors=list(values.get("errors") or []), trace=trace, elapsed_s=round(elapsed_s, 4),
                     finished=finished, live=dict(live), answer_keys=list(values.get("answer_keys") or []),
                     answer_score=values.get("answer_score"), faithfulness=dict(values.get("faithfulness") or {}))


def run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from synchronous code, even inside a running loop (Jupyter)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="workbench-supervisor") as pool:
        return pool.submit(asyncio.run, coro).result()
