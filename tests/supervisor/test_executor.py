"""The step executor: concurrency, timeouts with partial results, retries, circuit breakers and stand-ins."""

from __future__ import annotations

import asyncio

from workbench.agents.base import AgentRegistry, FunctionAgent
from workbench.resilience import TransientError
from workbench.supervisor.executor import AgentCall, StepExecutor
from workbench.tracing import Trace


def _sleeper(name: str, seconds: float, result: str = "done") -> FunctionAgent:
    async def run(task: str) -> str:
        await asyncio.sleep(seconds)
        return f"{result}:{task}"

    return FunctionAgent(run, name=name, description=f"sleeps {seconds} s")


def _failing(name: str, error: BaseException, counter: list[int]) -> FunctionAgent:
    async def run(task: str) -> str:
        counter.append(1)
        raise error

    return FunctionAgent(run, name=name, description="always fails")


def test_agents_of_one_step_run_concurrently():
    registry = AgentRegistry([_sleeper("a", 0.3), _sleeper("b", 0.3)])
    trace = Trace()
    outcomes = asyncio.run(StepExecutor(registry).run([AgentCall("a", "x"), AgentCall("b", "y")], trace))
    assert [str(o.result) for o in outcomes] == ["done:x", "done:y"]  # plain values come back as TextResult
    kinds = [(e.kind, e.name) for e in trace.of_kind("agent_start", "agent_end")]
    assert kinds[:2] == [("agent_start", "a"), ("agent_start", "b")]  # both started before either ended
    assert max(o.elapsed_ms for o in outcomes) < 550  # about 0.3 s, not 0.6 s


def test_a_slow_agent_times_out_and_the_others_results_are_kept():
    registry = AgentRegistry([_sleeper("fast", 0.01), _sleeper("slow", 5)])
    trace = Trace()
    executor = StepExecutor(registry, agent_timeout_s=0.1, attempts=1)
    fast, slow = asyncio.run(executor.run([AgentCall("fast", "q"), AgentCall("slow", "q")], trace))
    assert fast.ok and str(fast.result) == "done:q"
    assert not slow.ok and slow.error_kind == "timeout" and "0.1 s" in slow.error
    assert any(e.kind == "error" and e.name == "slow" for e in trace)


def test_the_step_time_limit_cancels_what_is_still_running():
    registry = AgentRegistry([_sleeper("fast", 0.01), _sleeper("slow", 5)])
    executor = StepExecutor(registry, agent_timeout_s=10, step_timeout_s=0.2)
    fast, slow = asyncio.run(executor.run([AgentCall("fast", "q"), AgentCall("slow", "q")]))
    assert fast.ok and slow.error_kind == "timeout" and "step's time limit" in slow.error


def test_transient_errors_are_retried_and_recorded():
    calls: list[int] = []

    async def flaky(task: str) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientError("busy")
        return "finally"

    registry = AgentRegistry([FunctionAgent(flaky, name="flaky", description="fails twice")])
    trace = Trace()
    (outcome,) = asyncio.run(StepExecutor(registry, attempts=3, base_delay_s=0.01).run([AgentCall("flaky", 1)], trace))
    assert str(outcome.result) == "finally" and outcome.attempts == 3
    retries = trace.of_kind("retry")
    assert [e.data["attempt"] for e in retries] == [1, 2] and all(e.data["wait_ms"] >= 0 for e in retries)


def test_circuit_opens_after_repeated_failures_and_the_selector_substitutes():
    counter: list[int] = []
    registry = AgentRegistry([_sleeper("backup", 0.0, "backup")])
    registry.register(_failing("primary", RuntimeError("down"), counter), alternatives=["backup"])
    executor = StepExecutor(registry, attempts=1, failure_threshold=2)
    for _ in range(2):
        (outcome,) = asyncio.run(executor.run([AgentCall("primary", "t")]))
        assert outcome.error_kind == "error" and "RuntimeError: down" in outcome.error
    assert executor.breaker("primary").state == "open"
    trace = Trace()
    (outcome,) = asyncio.run(executor.run([AgentCall("primary", "t")], trace))
    assert outcome.agent == "backup" and outcome.substituted_for == "primary" and str(outcome.result) == "backup:t"
    assert len(counter) == 2  # the open circuit kept the primary from being called a third time
    assert "circuit is open" in trace.of_kind("error")[0].data["error"]


def test_an_unhealthy_agent_without_alternative_is_skipped_with_the_reason():
    class Down(FunctionAgent):
        def health(self) -> dict[str, object]:
            return {"ok": False, "reason": "index not loaded"}

    registry = AgentRegistry([Down(lambda t: t, name="docs", description="down")])
    (outcome,) = asyncio.run(StepExecutor(registry).run([AgentCall("docs", "q")]))
    assert outcome.error_kind == "unavailable" and "index not loaded" in outcome.error
