"""Trace events and the ``Trace`` that collects them.

Every step of a run emits a typed ``TraceEvent`` (a node or agent starting
and ending, an LM call with tokens and latency, SQL, a retrieval, a cache
hit, a retry, an error, a supervisor decision such as the plan or a score,
and ``observation`` for what any other agent's result reports). Transient
``lm_token`` events (``Trace.notify``) carry an answer's text as it is generated
to listeners only; they are not recorded.
Events are numbered in the order they happen (``seq``), so a trace reads in
causal order even when agents run concurrently. Listeners
added with ``subscribe`` see each event as it is emitted; that is how a run
streams. A trace becomes a DataFrame, JSON, or an HTML table in a notebook.
Inside ``use_trace(trace)``, every local LM call reports an ``lm_call`` event
(tokens, latency, prompt and completion) to that trace by itself; ``trace_prompt``
is how such an event keeps the prompt (its last ``TRACE_TEXT_CHARS`` characters).

    >>> trace = Trace("demo")
    >>> with trace.span("agent", "retrieval"):
    ...     _ = trace.emit("retrieval", "retrieval", hits=5)
    >>> [e.kind for e in trace]
    ['agent_start', 'retrieval', 'agent_end']
"""

from __future__ import annotations

import contextlib
import contextvars
import html
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

EVENT_KINDS = ("run_start", "run_end", "node_start", "node_end", "agent_start", "agent_end", "lm_call", "sql",
               "retrieval", "observation", "cache_hit", "retry", "error", "decision")
# Transient kinds reach listeners (a stream, the trace viewer) but are not recorded: an answer streams token by
# token without filling the checkpointed trace with one event per token.
TRANSIENT_KINDS = ("lm_token",)
SPAN_KINDS = ("run", "node", "agent")
TRACE_TEXT_CHARS = 4000  # most characters of a prompt (its end) and a completion kept in an lm_call event


@dataclass(frozen=True)
class TraceEvent:
    """One thing that happened: its kind, who did it, when, how long it took, and its details."""

    kind: str
    name: str
    seq: int
    time: float
    session: str = ""
    elapsed_ms: float | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The event as a dict of its fields (``data`` copied one level deep)."""
        return {"kind": self.kind, "name": self.name, "seq": self.seq, "time": self.time, "session": self.session,
                "elapsed_ms": self.elapsed_ms, "data": dict(self.data)}


class Trace:
    """An ordered, thread-safe log of ``TraceEvent``s for one session."""

    def __init__(self, session: str = "", events: list[TraceEvent] | None = None, *,
                 parent: Trace | None = None, tags: dict[str, Any] | None = None) -> None:
        self.session: str = parent.session if parent is not None else session
        self.events: list[TraceEvent] = list(events or [])
        self._lock = threading.Lock()
        self._listeners: list[Callable[[TraceEvent], object]] = []
        self._parent = parent
        self._tags = dict(tags or {})
        self._next_seq = max((e.seq for e in self.events), default=-1) + 1

    def child(self, **tags: Any) -> Trace:
        """A trace that records what one part of the run emits and passes every event on to this one.

        Events keep this trace's numbering; the child's ``events`` are only its own. Concurrent parts of a
        run (e.g. agents of one step) each get a child, so each part knows exactly which events it caused.
        ``tags`` (e.g. ``node="plan"``) go into the data of every event emitted through the child, so an LM
        call says which part of the run made it.
        """
        return Trace(parent=self, tags=tags)

    def emit(self, kind: str, name: str, *, elapsed_ms: float | None = None, **data: Any) -> TraceEvent:
        """Record an event (``kind`` from ``EVENT_KINDS``) and hand it to every listener."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"Unknown trace event kind {kind!r}; known kinds: {', '.join(EVENT_KINDS)}")
        if self._parent is not None:
            event = self._parent.emit(kind, name, elapsed_ms=elapsed_ms, **{**self._tags, **data})
            with self._lock:
                self.events.append(event)
            return event
        with self._lock:
            event = TraceEvent(kind, name, self._next_seq, time.time(), self.session,
                               None if elapsed_ms is None else round(elapsed_ms, 3), data)
            self._next_seq += 1
            self.events.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)
        return event

    def notify(self, kind: str, name: str, **data: Any) -> TraceEvent:
        """Hand a transient event (``kind`` from ``TRANSIENT_KINDS``, e.g. one streamed ``lm_token``) to every
        listener without recording it: it has ``seq`` -1 and is not in ``events``, so not in checkpoints."""
        if kind not in TRANSIENT_KINDS:
            raise ValueError(f"Unknown transient event kind {kind!r}; known kinds: {', '.join(TRANSIENT_KINDS)}")
        if self._parent is not None:
            return self._parent.notify(kind, name, **{**self._tags, **data})
        event = TraceEvent(kind, name, -1, time.time(), self.session, None, data)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)
        return event

    @contextlib.contextmanager
    def span(self, kind: str, name: str, **data: Any) -> Iterator[dict[str, Any]]:
        """Emit ``<kind>_start`` now and ``<kind>_end`` (with ``elapsed_ms``) when the block ends.

        The block gets a dict whose items are added to the end event. An exception is recorded as an
        ``error`` event (then the end event, with ``ok=False``) and re-raised.
        """
        if kind not in SPAN_KINDS:
            raise ValueError(f"Spans are {', '.join(SPAN_KINDS)}, not {kind!r}")
        self.emit(f"{kind}_start", name, **data)
        extra: dict[str, Any] = {}
        started = time.perf_counter()
        try:
            yield extra
        except BaseException as exc:
            self.emit("error", name, error=f"{type(exc).__name__}: {exc}", during=kind)
            self.emit(f"{kind}_end", name, elapsed_ms=(time.perf_counter() - started) * 1000, ok=False, **extra)
            raise
        self.emit(f"{kind}_end", name, elapsed_ms=(time.perf_counter() - started) * 1000, ok=True, **extra)

    def subscribe(self, listener: Callable[[TraceEvent], object]) -> Callable[[], None]:
        """Call ``listener(event)`` for every later event; returns a function that unsubscribes it."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(list(self.events))

    def of_kind(self, *kinds: str) -> list[TraceEvent]:
        """The events of the given kinds, in order."""
        return [e for e in self.events if e.kind in kinds]

    def to_dataframe(self) -> pd.DataFrame:
        """One row per event: seq, time, kind, name, elapsed_ms, then one column per data key."""
        import pandas as pd

        rows = [{"seq": e.seq, "time": pd.Timestamp(e.time, unit="s"), "kind": e.kind, "name": e.name,
                 "elapsed_ms": e.elapsed_ms, **e.data} for e in self.events]
        return pd.DataFrame(rows, columns=None if rows else ["seq", "time", "kind", "name", "elapsed_ms"])

    def to_json(self) -> str:
        """The trace as JSON (``session`` and ``events``); ``Trace.from_json`` reads it back."""
        return json.dumps({"session": self.session, "events": [e.as_dict() for e in self.events]}, default=str)

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """A trace from ``to_json`` output."""
        payload = json.loads(text)
        return cls(payload.get("session", ""), [TraceEvent(**e) for e in payload["events"]])

    def save(self, path: str | Path) -> Path:
        """Write the trace as JSON to ``path``."""
        path = Path(path)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a trace written by ``save``."""
        return cls.from_json(Path(path).read_text(encoding="utf-8"))

    def __repr__(self) -> str:
        return f"Trace({self.session!r}, {len(self.events)} events)"

    def _repr_html_(self) -> str:
        rows = []
        for e in self.events:
            style = " style='color:#b00'" if e.kind == "error" else ""
            took = "" if e.elapsed_ms is None else f"{e.elapsed_ms:.1f} ms"
            details = html.escape(", ".join(f"{k}={v}" for k, v in e.data.items())[:300])
            rows.append(f"<tr{style}><td>{e.seq}</td><td>{e.kind}</td><td>{html.escape(e.name)}</td>"
                        f"<td>{took}</td><td>{details}</td></tr>")
        return (f"<p>{html.escape(repr(self))}</p><table><tr><th>#</th><th>kind</th><th>name</th><th>took</th>"
                f"<th>details</th></tr>{''.join(rows)}</table>")


_current: contextvars.ContextVar[Trace | None] = contextvars.ContextVar("workbench_trace", default=None)


def current_trace() -> Trace | None:
    """The trace that work in this context reports to (``None`` outside ``use_trace``)."""
    return _current.get()


@contextlib.contextmanager
def use_trace(trace: Trace) -> Iterator[Trace]:
    """Make ``trace`` the current trace for the block; code that emits (e.g. local LM calls) reports to it.

    Context variables follow ``asyncio`` tasks and ``asyncio.to_thread``, so agents running in worker
    threads report to the trace of the run that started them.
    """
    token = _current.set(trace)
    try:
        yield trace
    finally:
        _current.reset(token)


def trace_prompt(messages: Sequence[Any]) -> str:
    """Chat messages as one text for a trace event: ``[role] content`` blocks, the last ``TRACE_TEXT_CHARS``."""
    text = "\n\n".join(f"[{m.get('role', '')}] {m.get('content', '')}" for m in messages if isinstance(m, dict))
    return text[-TRACE_TEXT_CHARS:]
