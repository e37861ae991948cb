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

Iteration keeps the best: each record is stamped with the evaluator's score
for it; a call repeated in a later iteration goes to its agent as a
``Retry`` carrying the feedback and the failed checks (an agent with a
``retry`` method changes strategy on them), and the answer rests on the
best-scored usable record of each call, so a later iteration never replaces
a better answer with a worse one. The written answer is checked against the
evidence (``workbench.supervisor.faithfulness``): an unfaithful or incomplete
draft is rewritten once with the findings, and otherwise replaced by an
answer templated from the result rows.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.agents.base import AgentRegistry, Retry
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
    answer_mode: str = "draft"

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
        """Ask the planner for steps (with the judge's feedback after the first iteration); a call that repeats
        one scored below the threshold becomes a retry carrying that record's failed checks."""
        iteration = state.get("iteration", 0)
        plan = await call_component(self.planner, state["question"], self.registry, state.get("feedback", ""),
                                    iteration)
        steps = [[{"agent": c.agent, "task": str(c.task)} for c in step] for step in plan.steps]
        previous = list(state.get("results", {}).values())
        kept = [c for step in steps for c in step if self._settled(c, previous)]
        if kept and len(kept) < sum(len(step) for step in steps):  # what already scored well is not asked again
            steps = [[c for c in step if c not in kept] for step in steps]
            steps = [step for step in steps if step]
            plan.note = f"{plan.note}; kept the earlier answer of {', '.join(c['agent'] for c in kept)}".lstrip("; ")
        for step in steps:
            for call in step:
                retry = self._retry_of(call, previous)
                if retry:
                    call["retry"] = retry
        trace.emit("decision", "plan", iteration=iteration, source=plan.source, steps=steps, note=plan.note)
        return {"plan": steps, "plan_source": plan.source, "plan_note": plan.note, "step": 0, "selected": []}

    def _settled(self, call: dict[str, Any], previous: list[dict[str, Any]]) -> bool:
        """Whether an earlier usable record of this very call (agent and task) already scored at the threshold."""
        return any(r.get("score", 0.0) >= self.threshold for r in _earlier(call, previous))

    def _retry_of(self, call: dict[str, Any], previous: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The retry details for a planned call when an earlier usable record of it scored below the threshold."""
        earlier = _earlier(call, previous)
        if not earlier:
            return None
        best = max(earlier, key=lambda r: (r.get("score", 0.0), r["iteration"]))
        if best.get("score", 0.0) >= self.threshold:
            return None
        checks = (best.get("payload") or {}).get("checks") or []
        failed = [c["name"] for c in checks if not c["passed"]]
        notes = "; ".join(c["note"] for c in checks if not c["passed"] and c["note"])
        return {"feedback": notes, "failed": failed, "attempt": len(earlier)}

    async def select(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Choose the agents of the next step: healthy, circuit closed, or a stand-in; record the skipped."""
        step, iteration = state["step"], state.get("iteration", 0)
        calls = [AgentCall(c["agent"], c["task"]) for c in state["plan"][step]]
        chosen, skipped = select_agents(calls, self.registry, self.executor.breakers_for(calls), trace)
        keys = _unique_keys([o.agent for o in skipped] + [c.agent for c in chosen], iteration, step)
        records = {key: outcome_record(o, iteration, step) for key, o in zip(keys, skipped, strict=False)}
        retries = {(c["agent"], c["task"]): c["retry"] for c in state["plan"][step] if c.get("retry")}
        selected = [{"agent": c.agent, "task": c.task, "substituted_for": c.substituted_for, "key": key,
                     **({"retry": retries[(c.agent, c.task)]} if (c.agent, c.task) in retries else {})}
                    for key, c in zip(keys[len(skipped):], chosen, strict=True)]
        return {"selected": selected, "step": step + 1, "results": records,
                "errors": [r["error"] for r in records.values()]}

    async def execute(self, payload: dict[str, Any], trace: Trace) -> dict[str, Any]:
        """Run one selected call (each call of a step is its own task, so a finished one is checkpointed)."""
        task: Any = payload["task"]
        if payload.get("retry") and not payload.get("substituted_for"):
            retry = payload["retry"]
            task = Retry(task, retry["feedback"], tuple(retry["failed"]), retry["attempt"])
        call = AgentCall(payload["agent"], task, payload.get("substituted_for", ""))
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
        failed = {agent: [c["name"] for c in checks if not c["passed"]] for agent, checks in judgement.checks.items()}
        trace.emit("decision", "evaluate", iteration=iteration, score=judgement.score,
                   agent_scores=judgement.agent_scores, feedback=judgement.feedback, source=judgement.source,
                   threshold=self.threshold, failed_checks=failed)
        scored = {key: {**record, "score": judgement.agent_scores.get(record["agent"], judgement.score)}
                  for key, record in state.get("results", {}).items() if record["iteration"] == iteration}
        return {"scores": [{"iteration": iteration, **judgement.as_dict()}], "errors": errors, "results": scored}

    async def iterate(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Start another iteration, carrying the judge's feedback to the planner."""
        last = state["scores"][-1]
        trace.emit("decision", "iterate", score=last["score"], threshold=self.threshold,
                   next_iteration=state.get("iteration", 0) + 1, feedback=last["feedback"])
        return {"iteration": state.get("iteration", 0) + 1, "feedback": last["feedback"]}

    async def answer(self, state: SessionState, trace: Trace) -> dict[str, Any]:
        """Write the final answer from the best-scored evidence and check it against that evidence; without
        usable evidence, say so instead of asking the LM."""
        records = evidence_records(state)
        keys = [key for key, r in state.get("results", {}).items() if any(r is x for x in records)]
        if not any(r["ok"] for r in records):
            errors = "; ".join(f"{r['agent']}: {r['error']}" for r in records) or "no agent was called"
            return {"answer": f"No answer: no agent returned usable evidence ({errors}).", "answer_keys": keys}
        question, evidence = state["question"], join_evidence([r["evidence"] for r in records])
        answer_score = _answer_score(state, records)
        try:
            if self.answer_mode == "rows":
                text, report = await self._rows_first(question, evidence, records, trace)
            else:
                text = await call_component(self.writer, question, evidence)
                text, report = await self._checked(question, evidence, records, text, trace)
        except Exception as exc:  # keep the evidence even when the writer fails
            message = f"The answer could not be written ({type(exc).__name__}: {exc}); the evidence is kept."
            return {"answer": message, "errors": [f"answer: {type(exc).__name__}: {exc}"], "answer_keys": keys}
        return {"answer": text, "answer_keys": keys, "faithfulness": report,
                **({"answer_score": round(answer_score, 4)} if answer_score is not None else {})}

    async def _rows_first(self, question: str, evidence: str, records: list[dict[str, Any]],
                          trace: Trace) -> tuple[str, dict[str, Any]]:
        """``answer_mode="rows"``: the SQL results written out from their rows (no LM), then what the writer says
        about the other evidence (sources), kept sentence by sentence where the checker finds it supported (the
        whole draft when it has no supported sentence; the report then says it is not faithful). No rewrite."""
        from workbench.supervisor.faithfulness import check_answer, supported_sentences, template_answer

        tables = _tables(records)
        parts = list(dict.fromkeys(template_answer(question, t) for t in tables))
        others = [r for r in records if r["ok"] and _table(r) is None]
        how = "rows"
        if others:
            text_evidence = join_evidence([r["evidence"] for r in others])
            tasks = {r["task"] for r in others}  # what the sources were searched for: that part of the question
            asked = tasks.pop() if len(tasks) == 1 and len(tables) else question
            draft = await call_component(self.writer, asked, text_evidence)
            kept = [s for s in supported_sentences(draft, text_evidence, question) if _whole(s)]
            parts += kept or ([] if parts else [_whole_sentences(draft)])
            how = "rows+draft" if tables else "draft"
        text = " ".join(parts)
        return text, _found(how, check_answer(text, evidence, question, tables=tables), trace)

    async def _checked(self, question: str, evidence: str, records: list[dict[str, Any]], draft: str,
                       trace: Trace) -> tuple[str, dict[str, Any]]:
        """The draft if the checker finds it faithful and complete; else one rewrite with the findings; else the
        answer templated from the rows. Returns the text and what the checker found."""
        from workbench.supervisor.faithfulness import check_answer, supported_sentences, template_answer

        tables = _tables(records)
        report = check_answer(draft, evidence, question, tables=tables)
        how, text = "draft", draft
        if not report.ok:
            trace.emit("decision", "faithfulness", how="rewrite", unsupported=list(report.unsupported),
                       missing=list(report.missing))
            notes = (f"\n\n## Checker\nA draft answer was: {draft}\nProblem: {report.feedback()} Write the answer "
                     "again, naming every row of the result and using only numbers and names from the evidence.")
            rewrite = await call_component(self.writer, question, evidence + notes)
            second = check_answer(rewrite, evidence, question, tables=tables)
            if second.ok:
                how, text, report = "rewrite", rewrite, second
            elif tables:  # the rows written out, and what the draft said about the rest that holds up
                rest = supported_sentences(rewrite, evidence, question, tables=tables)
                rows = dict.fromkeys(template_answer(question, t) for t in tables)  # the same rows once
                how, text = "template", " ".join([*rows, *rest])
                report = check_answer(text, evidence, question, tables=tables)
            else:
                how, text, report = "rewrite", rewrite, second
        return text, _found(how, report, trace)

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
    """What the answer rests on: the best-scored usable record of every (agent, task) (the later one on a tie,
    and the latest when none is scored), then this iteration's failures."""
    iteration = state.get("iteration", 0)
    records = list(state.get("results", {}).values())
    usable: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        if not record["ok"]:
            continue
        key = (record["agent"], record["task"])
        if key not in usable or record.get("score", 0.0) >= usable[key].get("score", 0.0):
            usable[key] = record
    failed = [r for r in records if not r["ok"] and r["iteration"] == iteration]
    return [*usable.values(), *failed]


def _answer_score(state: SessionState, records: list[dict[str, Any]]) -> float | None:
    """The evaluator's score for the evidence the answer rests on: that iteration's whole score when it all comes
    from one iteration, else the product of the records' scores (``None`` when nothing was scored)."""
    usable = [r for r in records if r["ok"] and "score" in r]
    if not usable:
        return None
    iterations = {r["iteration"] for r in usable}
    if len(iterations) == 1:
        (iteration,) = iterations
        whole = [s["score"] for s in state.get("scores", []) if s["iteration"] == iteration]
        if whole:
            return float(whole[-1])
    return math.prod(r["score"] for r in usable)


def _earlier(call: dict[str, Any], previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The usable records of earlier calls to the same agent with the same task."""
    return [r for r in previous if r["agent"] == call["agent"] and r["task"] == call["task"] and r["ok"]]


def _found(how: str, report: Any, trace: Trace) -> dict[str, Any]:
    """What the faithfulness checker found (``report``, a ``Faithfulness``) and how the answer was written, as
    recorded in the state and emitted to the trace."""
    found = {"how": how, "faithful": report.faithful, "complete": report.complete,
             "unsupported": list(report.unsupported), "missing": list(report.missing), "checked": report.checked}
    trace.emit("decision", "faithfulness", **found)
    return found


_SENTENCE_END = (".", "!", "?", ")", "]", '"')


def _whole(sentence: str) -> bool:
    """Whether a sentence ends as a sentence does (one cut off at the generation limit does not)."""
    return sentence.rstrip().endswith(_SENTENCE_END)


def _whole_sentences(text: str) -> str:
    """``text`` without a last sentence cut off at the generation limit (all of it when nothing would remain)."""
    text = text.rstrip()
    if _whole(text):
        return text
    cut = max(text.rfind(f"{end} ") for end in _SENTENCE_END)
    return text[: cut + 1] if cut > 0 else text


def _table(record: dict[str, Any]) -> Any:
    """The result table of a usable record (``workbench.supervisor.faithfulness.Table``), or None."""
    from workbench.supervisor.faithfulness import table_from_record

    return table_from_record(record.get("payload") or {}) if record["ok"] else None


def _tables(records: list[dict[str, Any]]) -> list[Any]:
    """The result tables of the usable records, in order."""
    return [t for t in map(_table, records) if t is not None]


def _unique_keys(agents: list[str], iteration: int, step: int) -> list[str]:
    """``result_key`` for each agent of a step; a second call to the same agent gets ``#2``, and so on."""
    seen: dict[str, int] = {}
    keys = []
    for agent in agents:
        base = result_key(iteration, step, agent)
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    return keys
