"""Keeping a failing worker from taking a run down: retries with backoff, timeouts, circuit breakers.

* ``call_with_retry`` awaits a coroutine function under a timeout and retries
  transient failures (``TransientError``, ``TimeoutError``, ``ConnectionError``)
  with exponential backoff and full jitter (a plain loop: cheaper per call than
  tenacity's machinery, which cost more than the orchestration around it).
* ``CircuitBreaker`` stops calling an agent after ``failure_threshold``
  consecutive failures; after ``reset_after_s`` it lets one trial call through
  (half-open) and closes again when that call succeeds.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from workbench.errors import WorkbenchError

T = TypeVar("T")
TRANSIENT = (TimeoutError, ConnectionError)


class TransientError(WorkbenchError, RuntimeError):
    """A failure worth retrying (a busy server, a dropped connection)."""


class CircuitOpenError(WorkbenchError, RuntimeError):
    """The agent's circuit is open: it failed too often lately, so it is not called."""


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; half-opens after ``reset_after_s``.

    Args:
        failure_threshold: Consecutive failures that open the circuit.
        reset_after_s: Seconds an open circuit waits before allowing one trial call.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(self, failure_threshold: int = 3, reset_after_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be at least 1, got {failure_threshold}")
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        """``closed`` (calls flow), ``open`` (calls refused) or ``half_open`` (one trial allowed)."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.reset_after_s else "open"

    def allow(self) -> bool:
        """Whether a call may go ahead now."""
        return self.state != "open"

    def record_success(self) -> None:
        """A call succeeded: close the circuit and forget past failures."""
        with self._lock:
            self.failures = 0
            self.opened_at = None

    def record_failure(self) -> None:
        """A call failed: count it; open (or re-open, after a failed trial) at the threshold."""
        with self._lock:
            self.failures += 1
            if self.failures >= self.failure_threshold or self._state() == "half_open":
                self.opened_at = self.clock()

    def __repr__(self) -> str:
        return f"CircuitBreaker({self.state}, {self.failures} consecutive failures)"


async def call_with_retry(fn: Callable[[], Awaitable[T]], *, attempts: int = 3, timeout_s: float | None = None,
                          base_delay_s: float = 0.2, max_delay_s: float = 5.0,
                          retry_on: tuple[type[BaseException], ...] = (TransientError, *TRANSIENT),
                          on_retry: Callable[[int, BaseException, float], None] | None = None,
                          sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> T:
    """Await ``fn()`` (each attempt under ``timeout_s``), retrying ``retry_on`` errors up to ``attempts`` times.

    The wait before retry ``n`` (1-based) is uniform in ``[0, min(max_delay_s, base_delay_s * 2**(n-1))]``
    (exponential backoff with full jitter). ``on_retry(attempt, error, wait_s)`` is told of each retry.
    Other errors, and the last failure, propagate unchanged (a timeout as ``TimeoutError``).
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            if timeout_s is None:
                return await fn()
            async with asyncio.timeout(timeout_s):  # no extra task, unlike wait_for
                return await fn()
        except retry_on as error:
            if attempt == attempts:
                raise
            wait_s = random.uniform(0, min(max_delay_s, base_delay_s * 2 ** (attempt - 1)))
            if on_retry is not None:
                on_retry(attempt, error, wait_s)
            await sleep(wait_s)
    raise AssertionError("unreachable: the last attempt returns or raises")
