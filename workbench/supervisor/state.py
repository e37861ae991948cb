"""The supervisor's session state, and agent outcomes turned into plain records it can checkpoint.

The state is what LangGraph checkpoints after every node, so everything in it
is plain JSON-able data: the plan as lists of ``{"agent", "task"}`` dicts,
each agent outcome as an ``outcome_record`` (status, timings, the evidence
text the judge reads, and the result's own ``record()`` as its payload: SQL
with its first rows, the sources, or whatever an agent's result keeps),
scores, feedback, the answer, errors and the trace events of every finished
node. Live objects (DataFrames, charts, search results) stay in the process
that made them; a resumed run rebuilds tables from the records.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from workbench.agents.result import as_agent_result
from workbench.supervisor.evidence import render_outcome
from workbench.supervisor.executor import AgentOutcome


def merge_dicts(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Reducer for keyed results: later writes add keys (and replace equal ones)."""
    return {**left, **right}


class SessionState(TypedDict, total=False):
    """One supervisor session, as checkpointed after every node.

    ``plan`` holds steps of calls (``{"agent", "task"}``); ``step`` is the index of the next step to run and
    ``selected`` the calls the selector chose for it (with ``substituted_for`` when a stand-in was used).
    ``results`` maps ``i<iteration>.s<step>.<agent>`` (``#2`` for a second call to one agent in a step) to an
    ``outcome_record``, stamped with the evaluator's ``score`` once evaluated. ``scores`` has one judgement per
    iteration. ``answer_keys`` name the records the answer rests on (the best-scored of each call),
    ``answer_score`` is their combined probability and ``faithfulness`` what the answer checker found.
    ``events`` are the trace events (``TraceEvent.as_dict``) of the finished nodes, in order.
    """

    question: str
    session_id: str
    iteration: int
    plan: list[list[dict[str, str]]]
    plan_source: str
    plan_note: str
    step: int
    selected: list[dict[str, str]]
    results: Annotated[dict[str, dict[str, Any]], merge_dicts]
    scores: Annotated[list[dict[str, Any]], operator.add]
    feedback: str
    answer: str
    answer_keys: list[str]
    answer_score: float
    faithfulness: dict[str, Any]
    errors: Annotated[list[str], operator.add]
    events: Annotated[list[dict[str, Any]], operator.add]


def result_key(iteration: int, step: int, agent: str) -> str:
    """The key of one agent's outcome in ``SessionState.results``."""
    return f"i{iteration}.s{step}.{agent}"


def outcome_record(outcome: AgentOutcome, iteration: int, step: int) -> dict[str, Any]:
    """A JSON-able record of an outcome: status, error, attempts, timings, evidence text and the result's
    ``record()`` as ``payload``.

    An agent that returned a result carrying its own failure (``ok`` false: SQL that never ran, a search without
    sources) is recorded as not ok, with that error and kind ``result``.
    """
    result = None if outcome.result is None else as_agent_result(outcome.result)
    ok, error, kind = outcome.ok, outcome.error, outcome.error_kind
    if ok and result is not None and not result.ok:
        ok, error, kind = False, result.error or "the agent returned no usable result", "result"
    return {"agent": outcome.agent, "task": str(outcome.task), "iteration": iteration, "step": step, "ok": ok,
            "error": error, "error_kind": kind, "attempts": outcome.attempts, "elapsed_ms": outcome.elapsed_ms,
            "substituted_for": outcome.substituted_for, "evidence": render_outcome(outcome),
            "payload": {} if result is None else result.record()}
