"""Retries back off with jitter and stop; timeouts; the circuit opens, half-opens and closes."""

from __future__ import annotations

import asyncio

import pytest

from workbench.resilience import CircuitBreaker, TransientError, call_with_retry


class Flaky:
    def __init__(self, failures: int, error: type[BaseException] = TransientError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return "ok"


def _run(fn, **kwargs):
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)

    result = asyncio.run(call_with_retry(fn, sleep=fake_sleep, **kwargs))
    return result, waits


def test_transient_failures_are_retried_with_growing_jittered_waits():
    fn = Flaky(3)
    retries = []
    result, waits = _run(fn, attempts=4, base_delay_s=1.0, max_delay_s=100.0,
                         on_retry=lambda n, exc, wait: retries.append((n, str(exc))))
    assert result == "ok" and fn.calls == 4
    assert len(waits) == 3 and all(0 <= w <= 2 ** i for i, w in enumerate(waits))
    assert retries == [(1, "failure 1"), (2, "failure 2"), (3, "failure 3")]


def test_backoff_ceiling_grows_exponentially():
    ceilings = []
    for _ in range(200):
        _, waits = _run(Flaky(3), attempts=4, base_delay_s=1.0, max_delay_s=100.0)
        ceilings.append(waits)
    assert max(w[0] for w in ceilings) <= 1.0 < max(w[2] for w in ceilings) <= 4.0


def test_gives_up_after_the_last_attempt_with_the_original_error():
    fn = Flaky(10)
    with pytest.raises(TransientError, match="failure 3"):
        _run(fn, attempts=3)
    assert fn.calls == 3


def test_other_errors_are_not_retried():
    fn = Flaky(1, ValueError)
    with pytest.raises(ValueError):
        _run(fn, attempts=5)
    assert fn.calls == 1


def test_each_attempt_has_a_timeout_and_timeouts_are_retried():
    calls = []

    async def slow_then_fast() -> str:
        calls.append(1)
        if len(calls) == 1:
            await asyncio.sleep(5)
        return "fast"

    result, waits = _run(slow_then_fast, attempts=2, timeout_s=0.05)
    assert result == "fast" and len(calls) == 2 and len(waits) == 1


def test_circuit_opens_after_threshold_half_opens_and_closes_on_success():
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, reset_after_s=10, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 10.0
    assert breaker.state == "half_open" and breaker.allow()
    breaker.record_failure()  # the trial call failed: open again, for another 10 s
    assert breaker.state == "open"
    now[0] = 20.0
    breaker.record_success()
    assert breaker.state == "closed" and breaker.failures == 0
