"""Plans: the LM planner's output validated, or a deterministic router when that output is unusable.

``make_plan`` asks the planner program (``workbench.programs.planner``) for
steps, checks them (valid JSON, known agents, non-empty tasks, at most
``max_steps`` steps), and when anything is wrong falls back to ``route``:
data-style questions (counts, totals, averages, rankings, trends) go to the
``data_analysis`` agent, everything else to ``retrieval``, and a question with
both kinds of signal goes to both at once. The plan says which happened and why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.errors import WorkbenchError
from workbench.supervisor.executor import AgentCall

if TYPE_CHECKING:
    import dspy

    from workbench.agents.base import AgentRegistry

DATA_AGENT = "data_analysis"
TEXT_AGENT = "retrieval"
_DATA_WORDS = re.compile(
    r"\b(how many|how much|number of|count|total|sum|average|mean|median|max(imum)?|min(imum)?|highest|lowest|top \d+"
    r"|most|least|per|each|by year|trend|over time|percentage|ratio|rank|list all|chart|plot|table)\b", re.I)
_TEXT_WORDS = re.compile(r"\b(why|explain|what does|who|policy|according to|describe|evidence|says?|"
                         r"document|paper|stud(y|ies)|research|claim|support)\b", re.I)
_YES_NO = re.compile(r"^\s*(does|do|did|can|could|should|is|are|was|were|has|have)\b", re.I)


class PlanError(WorkbenchError, ValueError):
    """The planner's output is not a usable plan; the message says what is wrong."""


@dataclass
class Plan:
    """Ordered steps; the calls within a step run concurrently. ``source`` is ``lm`` or ``router``."""

    steps: list[list[AgentCall]]
    source: str
    note: str = ""
    raw: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def agents(self) -> list[str]:
        """Every agent the plan calls, in order of first use."""
        return list(dict.fromkeys(call.agent for step in self.steps for call in step))


def parse_plan(text: str, registry: AgentRegistry, max_steps: int = 3,
               notes: list[str] | None = None) -> list[list[AgentCall]]:
    """Validate the planner's JSON (a list of steps, or one step, or one call) into steps of ``AgentCall``.

    Only the first JSON value counts: small models often go on writing more plans after it. What was ignored
    (extra text, repeated calls) is appended to ``notes``.
    """
    notes = notes if notes is not None else []
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", (text or "").strip())
    try:
        data, end = json.JSONDecoder().raw_decode(body)
    except json.JSONDecodeError as exc:
        raise PlanError(f"not JSON ({exc.msg} at char {exc.pos}): {body[:120]!r}") from None
    if body[end:].strip():
        notes.append(f"kept the first JSON value and ignored {len(body[end:].strip())} more characters")
    if isinstance(data, dict):
        data = [[data]]
    if not isinstance(data, list) or not data:
        raise PlanError(f"expected a non-empty list of steps, got {type(data).__name__}")
    if all(isinstance(item, dict) for item in data):
        data = [data]  # a single step written without the outer list
    if len(data) > max_steps:
        raise PlanError(f"{len(data)} steps; at most {max_steps} are allowed")
    steps: list[list[AgentCall]] = []
    for number, step in enumerate(data, 1):
        calls = step if isinstance(step, list) else [step]
        if not calls:
            raise PlanError(f"step {number} is empty")
        parsed = []
        for call in calls:
            if not isinstance(call, dict):
                raise PlanError(f"step {number}: a call must be an object with agent and task, got {call!r:.60}")
            agent, task = call.get("agent"), call.get("task")
            if not isinstance(agent, str) or agent not in registry:
                raise PlanError(f"step {number}: unknown agent {agent!r}; available: {', '.join(registry.names)}")
            if not isinstance(task, str) or not task.strip():
                raise PlanError(f"step {number}: the task for {agent} is empty")
            if AgentCall(agent, task.strip()) in parsed:
                notes.append(f"dropped a repeated call to {agent} in step {number}")
                continue
            parsed.append(AgentCall(agent, task.strip()))
        steps.append(parsed)
    return steps


DATA_RELEVANCE = 0.2  # schema relevance at which a question goes to the data agent (chosen on visible data)
UNSURE_BELOW = 0.1  # below this a question with data words is left to the LM planner


@dataclass(frozen=True)
class Signals:
    """What a question asks for: figures (``data``), text (``text``), and whether the router is ``sure``."""

    data: bool
    text: bool
    sure: bool
    relevance: float | None = None


def signals(question: str, registry: AgentRegistry | None = None) -> Signals:
    """Read what ``question`` needs without an LM.

    With a data agent that reports ``relevance(question)`` (the share of the question's words that name its
    tables and columns, ``workbench.sql.vocabulary``), the question wants data when that share reaches
    ``DATA_RELEVANCE`` and text when it names text (studies, evidence, why) or no data; the router is sure unless
    the question has data words but its schema share is low yet not zero. Without one, data words and text
    words decide, and the router is sure when either is found.
    """
    data_words = bool(_DATA_WORDS.search(question))
    text_words = bool(_TEXT_WORDS.search(question))
    agent = registry.get(DATA_AGENT) if registry is not None and DATA_AGENT in registry else None
    measure = getattr(agent, "relevance", None)
    if callable(measure):
        relevance = float(measure(question))
        data = relevance >= DATA_RELEVANCE
        sure = data or relevance == 0.0 or (relevance < UNSURE_BELOW and not data_words)
        return Signals(data, text_words or not data, sure, round(relevance, 3))
    text = text_words or (not data_words and bool(_YES_NO.search(question)))
    return Signals(data_words, text, data_words or text)


def route(question: str, registry: AgentRegistry, *, widen: bool = False) -> Plan:
    """The deterministic plan: data questions to ``data_analysis``, others to ``retrieval``, mixed ones to both.

    ``widen`` (a retry after a poor judgement) calls both, since the first choice did not do.
    """
    read = signals(question, registry)
    wants_data = widen or read.data
    wants_text = widen or read.text or not wants_data
    chosen = [name for name, wanted in ((DATA_AGENT, wants_data), (TEXT_AGENT, wants_text))
              if wanted and name in registry]
    if not chosen:
        chosen = registry.names[:1]
    if not chosen:
        raise PlanError("no agents are registered")
    reasons = {DATA_AGENT: "asks for figures", TEXT_AGENT: "asks about text"}
    if widen:
        reasons = dict.fromkeys(reasons, "retry: every worker")
    why = ", ".join(f"{name} ({reasons.get(name, 'first registered agent')})" for name in chosen)
    tasks = split_tasks(question, registry) if {DATA_AGENT, TEXT_AGENT} <= set(chosen) else {}
    if tasks:
        why += "; each gets its part of the question"
    return Plan([[AgentCall(name, tasks.get(name, question)) for name in chosen]], "router",
                note=f"router chose {why}")


_CLAUSE = re.compile(r",?\s+and\s+(?=(?:what|how|which|who|why|where|when|does|do|did|is|are|was|were)\b)", re.I)


def split_tasks(question: str, registry: AgentRegistry) -> dict[str, str]:
    """For a question that joins a data part and a text part ("Which five countries ..., and what do studies say
    about ...?"), each agent's part: ``{data_analysis: first part?, retrieval: second part}``. Empty when the
    question does not split that way (then every agent gets the whole question)."""
    parts = [p.strip(" ,") for p in _CLAUSE.split(question, maxsplit=1)]
    if len(parts) != 2 or not all(parts):
        return {}
    kinds = [(signals(p, registry).data, bool(_TEXT_WORDS.search(p))) for p in parts]
    if kinds[0] == (True, False) and kinds[1][1]:
        data, text = parts
    elif kinds[1] == (True, False) and kinds[0][1]:
        text, data = parts
    else:
        return {}
    ask = lambda part: part if part.endswith("?") else f"{part}?"  # noqa: E731
    return {DATA_AGENT: ask(data[0].upper() + data[1:]), TEXT_AGENT: ask(text[0].upper() + text[1:])}


async def router_planner(question: str, registry: AgentRegistry, feedback: str = "", iteration: int = 0) -> Plan:
    """``route`` as a supervisor planner (no LM): widened on iterations after the first."""
    return route(question, registry, widen=iteration > 0)


class AutoPlanner:
    """The router when the question says what it needs (``signals``: figures, text, or both), the LM planner
    only when it says neither; a question the router planned stays with the router on later iterations.

    How often it is sure, and right, on visible data is in the README ("Fast answers").
    """

    def __init__(self, lm_planner: Callable[[str, AgentRegistry, str, int], Plan]) -> None:
        self.lm_planner = lm_planner

    def __call__(self, question: str, registry: AgentRegistry, feedback: str = "", iteration: int = 0) -> Plan:
        read = signals(question, registry)
        if read.sure:
            plan = route(question, registry, widen=iteration > 0)
            share = "" if read.relevance is None else f", schema share {read.relevance:.2f}"
            plan.note = f"{plan.note} (sure{share}; no LM)"
            return plan
        return self.lm_planner(question, registry, feedback, iteration)


class LMPlanner:
    """``make_plan`` with ``lm`` as a supervisor planner (blocking; the supervisor runs it in a thread)."""

    def __init__(self, lm: dspy.BaseLM, max_steps: int = 3) -> None:
        self.lm = lm
        self.max_steps = max_steps

    def __call__(self, question: str, registry: AgentRegistry, feedback: str = "", iteration: int = 0) -> Plan:
        return make_plan(question, registry, self.lm, feedback=feedback, max_steps=self.max_steps,
                         iteration=iteration)


def make_plan(question: str, registry: AgentRegistry, lm: dspy.BaseLM | None = None, *, feedback: str = "",
              max_steps: int = 3, iteration: int = 0) -> Plan:
    """Plan with the LM planner when ``lm`` is given, falling back to ``route`` (with the reason) on bad output."""
    if lm is None:
        return route(question, registry, widen=iteration > 0)
    from workbench.lm import lm_context
    from workbench.programs.planner import NO_FEEDBACK, Planner

    raw = ""
    try:
        with lm_context(lm):
            raw = Planner()(question=question, agents=registry.catalogue(), feedback=feedback or NO_FEEDBACK).plan
        notes: list[str] = []
        steps = parse_plan(raw, registry, max_steps, notes)
        return Plan(steps, "lm", note="; ".join(notes), raw=raw)
    except Exception as exc:  # an unusable plan must not stop the run: route instead, and say why
        fallback = route(question, registry, widen=iteration > 0)
        fallback.note = f"LM plan unusable ({exc}); {fallback.note}"
        fallback.raw = raw
        return fallback
