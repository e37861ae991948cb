"""Trace events for the LM calls the local engine never sees: DSPy cache hits and API models.

The local engine (``workbench.llama_engine.LlamaCppEngine``) reports each generation as
an ``lm_call`` event itself. Two kinds of call never reach it: answers DSPy
serves from its response cache, and calls to API models through litellm.
``TraceLMCalls`` is a DSPy callback that reports them to the current trace:
a ``cache_hit`` event for the first, an ``lm_call`` event (tokens from DSPy's
usage record, latency) for the second. ``resolve_lm`` attaches it to every LM
the workbench uses.

A call is matched to its history entry by its outputs, newest first, and each
entry is claimed once, so concurrent calls on one LM are not counted twice.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from dspy.utils.callback import BaseCallback

from workbench.llama_engine import LlamaCppEngine
from workbench.tracing import TRACE_TEXT_CHARS, current_trace, trace_prompt

_CLAIMED = "workbench_traced"
_SCAN = 64  # history entries searched for a call's own entry


class TraceLMCalls(BaseCallback):
    """Reports cache hits and non-local LM calls made inside ``use_trace`` to that trace."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[Any, float]] = {}
        self._lock = threading.Lock()

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        """Remember when a traced call started."""
        if current_trace() is not None:
            with self._lock:
                self._open[call_id] = (instance, time.perf_counter())

    def on_lm_end(self, call_id: str, outputs: Any, exception: BaseException | None = None) -> None:
        """Emit ``cache_hit`` or ``lm_call`` for the finished call, unless the local engine reported it."""
        with self._lock:
            opened = self._open.pop(call_id, None)
        trace = current_trace()
        if opened is None or trace is None or exception is not None:
            return
        instance, started = opened
        entry = self._claim(instance, outputs)
        if entry is None:
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        completion = _text(outputs)[:TRACE_TEXT_CHARS]
        usage = entry.get("usage") or {}
        model = str(getattr(instance, "model", type(instance).__name__))
        if not usage:  # DSPy answered from its cache: no tokens were spent
            trace.emit("cache_hit", model, elapsed_ms=elapsed_ms, cache="dspy",
                       prompt=trace_prompt(entry.get("messages") or []), completion=completion)
        elif not isinstance(getattr(instance, "engine", None), LlamaCppEngine):  # the engine reported it
            trace.emit("lm_call", model, elapsed_ms=elapsed_ms, purpose="complete",
                       prompt_tokens=int(usage.get("prompt_tokens") or 0),
                       completion_tokens=int(usage.get("completion_tokens") or 0), truncated=None,
                       prompt=trace_prompt(entry.get("messages") or []), completion=completion)

    def _claim(self, instance: Any, outputs: Any) -> dict[str, Any] | None:
        """The newest unclaimed history entry of ``instance`` with these outputs, now claimed."""
        with self._lock:
            for entry in reversed(list(getattr(instance, "history", []))[-_SCAN:]):
                if isinstance(entry, dict) and not entry.get(_CLAIMED) and entry.get("outputs") == outputs:
                    entry[_CLAIMED] = True
                    return entry
        return None


_CALLBACK = TraceLMCalls()


def attach(lm: Any) -> Any:
    """Add the trace callback to ``lm`` (once); returns ``lm``."""
    callbacks = getattr(lm, "callbacks", None)
    if isinstance(callbacks, list) and not any(isinstance(c, TraceLMCalls) for c in callbacks):
        callbacks.append(_CALLBACK)
    return lm


def _text(outputs: Any) -> str:
    first = outputs[0] if isinstance(outputs, list) and outputs else outputs
    if isinstance(first, dict):
        first = first.get("text", first)
    return str(first or "")
