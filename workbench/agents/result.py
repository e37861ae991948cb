"""The one shape of an agent's result, as the supervisor, the trace and the session store read it.

An agent may return anything; the supervisor reads it only through
``AgentResult``:

* ``ok`` and ``error``: whether the result is usable evidence, and if not, why;
* ``evidence()``: the text the judge and the answer writer read;
* ``record()``: a small JSON-able dict with a ``type`` that is checkpointed
  with the session (so a reloaded session can show it without the live object);
* ``trace_events()``: ``(kind, data)`` pairs that ``emit_result`` reports to the
  current trace (``sql`` with its first rows, ``retrieval`` with its sources, or
  ``observation`` for anything else);
* ``_repr_html_()``: how it looks in a notebook.

``as_agent_result`` passes results that have this shape through and wraps any
other value (a string, a number, a dict) in a ``TextResult``. Records of type
``table`` (``sql``, ``summary``, ``columns``, ``rows``, ``n_rows``) and
``sources`` (``confidence``, ``sources``: ``number``, ``doc_id``, ``title``,
``score``, ``text``) are shown as a table with a chart and as a source list;
records of any other type are shown as their JSON.

A new agent needs no supervisor change: give its result class these members
(see ``docs/agents.md``).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from workbench.tracing import Trace, current_trace

MAX_EVIDENCE_CHARS = 1500  # of a plain value's text in the evidence
MAX_RECORD_CHARS = 4000  # of a plain value's text in its record

TraceEventSpec = tuple[str, dict[str, Any]]


@runtime_checkable
class AgentResult(Protocol):
    """What the supervisor reads of an agent's result (see the module docstring)."""

    @property
    def ok(self) -> bool:
        """True when the result is usable evidence."""
        ...

    @property
    def error(self) -> str:
        """Why the result is not usable (empty when it is)."""
        ...

    def evidence(self) -> str:
        """The text the judge and the answer writer read."""
        ...

    def record(self) -> dict[str, Any]:
        """A small JSON-able dict with a ``type``, checkpointed with the session."""
        ...

    def trace_events(self) -> list[TraceEventSpec]:
        """``(kind, data)`` pairs to report to the trace when the result arrives."""
        ...

    def _repr_html_(self) -> str: ...


@dataclass
class TextResult:
    """Any value an agent returned that is not an ``AgentResult``: its text is the evidence."""

    value: Any

    @property
    def ok(self) -> bool:
        """Always True: a returned value is evidence (a failing agent raises or returns an error result)."""
        return True

    @property
    def error(self) -> str:
        """Always empty."""
        return ""

    @property
    def text(self) -> str:
        """The value as text."""
        return str(self.value)

    def evidence(self) -> str:
        """The text, cut at ``MAX_EVIDENCE_CHARS``."""
        text = self.text
        return text if len(text) <= MAX_EVIDENCE_CHARS else text[:MAX_EVIDENCE_CHARS] + " …"

    def record(self) -> dict[str, Any]:
        """``{"type": "text", "text": ...}``, the text cut at ``MAX_RECORD_CHARS``."""
        return {"type": "text", "text": self.text[:MAX_RECORD_CHARS]}

    def trace_events(self) -> list[TraceEventSpec]:
        """None: a plain value has nothing to report beyond the agent's own span."""
        return []

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text)}</pre>"


_SHAPES: dict[type, bool] = {}  # whether instances of a type have the AgentResult shape, checked once per type


def as_agent_result(value: Any) -> AgentResult:
    """``value`` itself when it has the ``AgentResult`` shape, else a ``TextResult`` around it.

    The shape is checked once per type (a protocol ``isinstance`` costs about 10 µs; the supervisor asks for
    every agent call).
    """
    fits = _SHAPES.get(type(value))
    if fits is None:
        fits = _SHAPES[type(value)] = isinstance(value, AgentResult)
    return value if fits else TextResult(value)


def emit_result(result: AgentResult, agent: str, trace: Trace | None = None) -> None:
    """Report ``result.trace_events()`` as events named ``agent`` to ``trace`` (default: the current trace)."""
    trace = trace if trace is not None else current_trace()
    if trace is None:
        return
    for kind, data in result.trace_events():
        trace.emit(kind, agent, **data)


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, timestamps and other odd values turned into plain JSON values."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return jsonable(item())
        except (ValueError, TypeError):
            pass
    return str(value)


def record_value(record: dict[str, Any]) -> Any:
    """What a checkpointed record holds, without the live result: a DataFrame of the rows for ``table``,
    a DataFrame of the sources for ``sources``, the text for ``text``, the record itself otherwise."""
    kind = record.get("type")
    if kind == "table" and "rows" in record:
        import pandas as pd

        return pd.DataFrame(record["rows"], columns=record["columns"])
    if kind == "sources":
        import pandas as pd

        return pd.DataFrame(record.get("sources", []))
    if kind == "text":
        return record.get("text", "")
    return record


def record_parts(record: dict[str, Any], title: str = "") -> list[Any]:
    """Notebook parts (HTML snippets and plotly figures) showing a checkpointed record.

    ``table``: the SQL, its summary, a chart redrawn from the kept rows, and the rows; ``sources``: the source
    list; ``text``: the text; any other type: its JSON.
    """
    kind = record.get("type")
    if kind == "table":
        parts: list[Any] = [f"<pre>{html.escape(record.get('sql', ''))}</pre>"
                            f"<p>{html.escape(record.get('summary', ''))}</p>"]
        if "rows" in record:
            frame = record_value(record)
            from workbench.agents.charts import choose_chart

            _, figure = choose_chart(frame, title=title)
            if figure is not None:
                parts.append(figure)
            total = record.get("n_rows", 0)
            shown = "" if total <= len(frame) else f" (first {len(frame)} of {total})"
            parts.append(frame.to_html(max_rows=20, index=False) + f"<p><small>rows{shown}</small></p>")
        return parts
    if kind == "sources":
        return [f"<p>confidence {record.get('confidence', 0):.2f}</p>"
                + record_value(record).to_html(max_rows=20, index=False)]
    if kind == "text":
        return [f"<pre>{html.escape(str(record.get('text', '')))}</pre>"]
    return [f"<pre>{html.escape(json.dumps(record, indent=1, default=str))}</pre>"]
