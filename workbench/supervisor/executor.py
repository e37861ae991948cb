"""Selecting and running one plan step's agents: concurrently, each under a timeout, with retries and breakers.

``select_agents`` checks each chosen agent's health and circuit and swaps in a
registered alternative when one is unavailable, saying why. ``StepExecutor.run``
starts every call at once (asyncio), gives each its own timeout and retries
transient failures with jittered exponential backoff, keeps one circuit
breaker per agent, and stops the whole step at ``step_timeout_s``. A failing
or slow agent becomes an ``AgentOutcome`` with its error; the others' results
are kept. Every start, retry, end and error goes to the trace, and so do the events each result reports
(``AgentResult.trace_events``: the SQL, the sources), inside the agent's span.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from workbench.agents.base import AgentRegistry, Retry
from workbench.agents.result import AgentResult, as_agent_result, emit_result
from workbench.resilience import CircuitBreaker, CircuitOpenError, call_with_retry
from workbench.tracing import Trace


@dataclass(frozen=True)
class AgentCall:
    """One agent asked to do one sub-task (a ``Retry`` when an earlier result for it was scored low)."""

    agent: str
    task: Any
    substituted_for: str = ""


@dataclass
class AgentOutcome:
    """What came of an ``AgentCall``: the result (an ``AgentResult``), or the error and its kind (``timeout``,
    ``circuit_open``, ``unavailable``, ``error``), with attempts and elapsed time."""

    agent: str
    task: Any
    result: AgentResult | None = None
    error: str = ""
    error_kind: str = ""
    attempts: int = 0
    elapsed_ms: float = 0.0
    substituted_for: str = ""

    @property
    def ok(self) -> bool:
        """True when the agent returned a result."""
        return not self.error_kind


def select_agents(calls: list[AgentCall], registry: AgentRegistry, breakers: dict[str, CircuitBreaker],
                  trace: Trace | None = None) -> tuple[list[AgentCall], list[AgentOutcome]]:
    """The calls to make, unavailable agents replaced by their first available alternative, and the skipped ones.

    An agent is unavailable when it is not registered, its circuit is open, or its ``health()`` says
    ``ok: False`` (or raises). A replacement call names the agent it stands in for (``substituted_for``); a
    call with no available alternative comes back as an ``unavailable`` outcome saying why.
    """
    chosen: list[AgentCall] = []
    skipped: list[AgentOutcome] = []
    for call in calls:
        why = _unavailable(call.agent, registry, breakers)
        if not why:
            chosen.append(call)
            continue
        stand_in = next((alt for alt in (registry.alternatives(call.agent) if call.agent in registry else [])
                         if not _unavailable(alt, registry, breakers)), None)
        if stand_in:
            note = f"{why}; using {stand_in} instead"
            chosen.append(AgentCall(stand_in, call.task, substituted_for=call.agent))
        else:
            note = f"{why}; no available alternative, so it is skipped"
            skipped.append(AgentOutcome(call.agent, call.task, error=note, error_kind="unavailable"))
        if trace is not None:
            trace.emit("error", call.agent, error=note, during="select")
    return chosen, skipped


def _unavailable(name: str, registry: AgentRegistry, breakers: dict[str, CircuitBreaker]) -> str:
    if name not in registry:
        return f"{name} is not registered"
    breaker = breakers.get(name)
    if breaker is not None and not breaker.allow():
        return f"{name}'s circuit is open after {breaker.failures} consecutive failures"
    try:
        health = registry.get(name).health()
    except Exception as exc:
        return f"{name}'s health check failed ({type(exc).__name__}: {exc})"
    return "" if health.get("ok", False) else f"{name} reports itself unhealthy ({health})"


class StepExecutor:
    """Runs the calls of one plan step concurrently.

    Args:
        registry: Where agents are looked up.
        agent_timeout_s: Limit of one attempt of one agent.
        step_timeout_s: Limit of the whole step; agents still running then are cancelled.
        attempts: Tries per call for transient errors and timeouts.
        base_delay_s, max_delay_s: Backoff before retries (exponential, full jitter).
        failure_threshold, reset_after_s: Circuit breaker settings, one breaker per agent.
    """

    def __init__(self, registry: AgentRegistry, *, agent_timeout_s: float = 60.0, step_timeout_s: float = 120.0,
                 attempts: int = 2, base_delay_s: float = 0.2, max_delay_s: float = 5.0,
                 failure_threshold: int = 3, reset_after_s: float = 30.0) -> None:
        self.registry = registry
        self.agent_timeout_s = agent_timeout_s
        self.step_timeout_s = step_timeout_s
        self.attempts = attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.breakers: dict[str, CircuitBreaker] = {}

    def breaker(self, name: str) -> CircuitBreaker:
        """The circuit breaker of agent ``name`` (created on first use)."""
        if name not in self.breakers:
            self.breakers[name] = CircuitBreaker(self.failure_threshold, self.reset_after_s)
        return self.breakers[name]

    async def run(self, calls: list[AgentCall], trace: Trace | None = None) -> list[AgentOutcome]:
        """Select, then run every call at once; outcomes come back in the order of the selected calls."""
        trace = trace if trace is not None else Trace()
        selected, skipped = select_agents(calls, self.registry, self.breakers_for(calls), trace)
        outcomes = await asyncio.gather(*(self.run_call(call, trace) for call in selected))
        return [*outcomes, *skipped]

    def breakers_for(self, calls: list[AgentCall]) -> dict[str, CircuitBreaker]:
        """Every breaker, after making sure each agent named in ``calls`` has one."""
        for call in calls:
            self.breaker(call.agent)
        return self.breakers

    async def run_call(self, call: AgentCall, trace: Trace | None = None,
                       limit_s: float | None = None) -> AgentOutcome:
        """Run one call with retries under the agent timeout, all attempts within ``limit_s`` (default: the
        step's limit). Never raises for the agent's failures: they come back in the outcome."""
        trace = trace if trace is not None else Trace()
        limit_s = self.step_timeout_s if limit_s is None else limit_s
        outcome = AgentOutcome(call.agent, call.task, substituted_for=call.substituted_for)
        try:
            async with asyncio.timeout(limit_s):
                await self._run_one(call, outcome, trace)
        except TimeoutError:
            outcome.error = f"the step's time limit of {limit_s} s ran out first (attempts: {outcome.attempts})"
            outcome.error_kind = "timeout"
            trace.emit("error", outcome.agent, error=outcome.error, during="step")
        return outcome

    async def _run_one(self, call: AgentCall, outcome: AgentOutcome, trace: Trace) -> None:
        agent = self.registry.get(call.agent)
        breaker = self.breaker(call.agent)
        started = time.perf_counter()

        async def attempt() -> Any:
            outcome.attempts += 1
            if not breaker.allow():
                raise CircuitOpenError(f"{call.agent}'s circuit opened during the step")
            if isinstance(call.task, Retry):
                retry = getattr(agent, "retry", None)
                return await (retry(call.task) if retry is not None else agent.execute(call.task.task))
            return await agent.execute(call.task)

        def on_retry(number: int, error: BaseException, wait_s: float) -> None:
            trace.emit("retry", call.agent, attempt=number, error=f"{type(error).__name__}: {error}",
                       wait_ms=round(wait_s * 1000, 1))

        try:
            with trace.span("agent", call.agent, task=str(call.task)[:200]) as end:
                try:
                    value = await call_with_retry(attempt, attempts=self.attempts, timeout_s=self.agent_timeout_s,
                                                  base_delay_s=self.base_delay_s, max_delay_s=self.max_delay_s,
                                                  on_retry=on_retry)
                    breaker.record_success()
                    outcome.result = as_agent_result(value)
                    emit_result(outcome.result, call.agent, trace)
                finally:
                    end["attempts"] = outcome.attempts
        except asyncio.CancelledError:
            breaker.record_failure()
            raise
        except TimeoutError:
            breaker.record_failure()
            outcome.error = f"no answer within {self.agent_timeout_s} s (attempts: {outcome.attempts})"
            outcome.error_kind = "timeout"
        except CircuitOpenError as exc:
            outcome.error, outcome.error_kind = str(exc), "circuit_open"
        except Exception as exc:  # a failing agent must not take the others down
            breaker.record_failure()
            outcome.error, outcome.error_kind = f"{type(exc).__name__}: {exc}", "error"
        finally:
            outcome.elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
