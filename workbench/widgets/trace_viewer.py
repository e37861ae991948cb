"""``TraceViewer``: an ipywidgets view of a run's trace that updates live while the run streams.

It shows, top to bottom: a summary line (events, LM calls, tokens, errors),
a plotly timeline of the run's nodes and agents, the errors (highlighted),
each LM call (or answer served from DSPy's cache) as an expandable panel
(node, tokens, latency, prompt and completion), each SQL query with its first
rows and row count, each retrieval with its sources and their scores, what
other agents' results reported (``observation`` events), and the evaluation:
each iteration's probability that the answer is right against the
threshold, the checks that failed and the feedback, then whether the written
answer was faithful to its evidence (and whether it was rewritten or
templated from the rows). ``TraceViewer(trace)``
shows a finished trace; ``viewer.watch(trace)`` (or ``TraceViewer.live(trace)``)
subscribes to a running one and redraws as events arrive, and
``viewer.add(event)`` takes the events of ``supervisor.astream(question)`` one
by one; ``TraceViewer.open(path)`` reads a trace saved as JSON, and
``TraceViewer.from_mlflow(run_id)`` one logged by ``make demo`` or an
experiment.
"""

from __future__ import annotations

import html
import json
import threading
import time
from pathlib import Path
from typing import Any

from workbench.tracing import Trace, TraceEvent

REDRAW_EVERY_S = 0.5  # while a run streams, redraw at most this often (and at its end)


def spans(trace: Trace) -> list[dict[str, Any]]:
    """Node and agent spans (start, end, duration in ms, ok) from start/end event pairs, in start order."""
    starts: dict[tuple[str, str, str], list[TraceEvent]] = {}
    out = []
    origin = trace.events[0].time if trace.events else 0.0
    for event in trace.events:
        kind, _, edge = event.kind.partition("_")
        if kind not in ("node", "agent") or edge not in ("start", "end"):
            continue
        key = (kind, event.name, str(event.data.get("call", "")))
        if edge == "start":
            starts.setdefault(key, []).append(event)
            continue
        opened = starts.get(key) or []
        if not opened:
            continue
        start = opened.pop(0)
        end_s = event.time - origin
        took = event.elapsed_ms if event.elapsed_ms is not None else (event.time - start.time) * 1000
        out.append({"kind": kind, "name": event.name, "start_s": start.time - origin, "end_s": end_s,
                    "ms": round(took, 1), "ok": bool(event.data.get("ok", True)), "seq": start.seq})
    for (kind, name, _), opened in starts.items():  # still running
        for start in opened:
            out.append({"kind": kind, "name": name, "start_s": start.time - origin, "end_s": None, "ms": None,
                        "ok": True, "seq": start.seq})
    return sorted(out, key=lambda s: s["seq"])


def timeline_figure(trace: Trace) -> Any:
    """A plotly Gantt-style chart of the node and agent spans (running spans drawn to now)."""
    import plotly.graph_objects as go

    rows = spans(trace)
    now = (time.time() - trace.events[0].time) if trace.events else 0.0
    fig = go.Figure()
    for row in rows:
        end = row["end_s"] if row["end_s"] is not None else now
        label = f"{row['kind']}: {row['name']}"
        colour = "#d62728" if not row["ok"] else ("#1f77b4" if row["kind"] == "node" else "#2ca02c")
        fig.add_trace(go.Bar(x=[max(end - row["start_s"], 0.001)], y=[label], base=[row["start_s"]],
                             orientation="h", marker_color=colour, showlegend=False,
                             hovertemplate=f"{html.escape(label)}<br>%{{base:.2f}} s + %{{x:.3f}} s<extra></extra>"))
    fig.update_layout(height=120 + 28 * len({f"{r['kind']}: {r['name']}" for r in rows}), barmode="overlay",
                      margin={"l": 10, "r": 10, "t": 30, "b": 30}, title="timeline (s since the run started)",
                      yaxis={"autorange": "reversed"})
    return fig


class TraceViewer:
    """A widget showing a trace (see the module docstring). Display it, or call ``widget()`` for the box."""

    def __init__(self, trace: Trace | None = None) -> None:
        import ipywidgets as w

        self.trace = trace or Trace()
        self._summary = w.HTML()
        self._timeline = w.Output()
        self._errors = w.HTML()
        self._lm_calls = w.Accordion()
        self._details = w.HTML()
        self._box = w.VBox([self._summary, self._timeline, self._errors, w.HTML("<b>LM calls</b>"),
                            self._lm_calls, self._details])
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._unsubscribe: Any = None
        self.redraw()

    @classmethod
    def live(cls, trace: Trace) -> TraceViewer:
        """A viewer subscribed to ``trace``: it redraws as events arrive."""
        viewer = cls(trace)
        viewer.watch(trace)
        return viewer

    @classmethod
    def open(cls, path: str | Path) -> TraceViewer:
        """A viewer of a trace saved as JSON (``Trace.save`` or ``RunResult.trace.save``)."""
        return cls(Trace.load(path))

    @classmethod
    def from_mlflow(cls, run_id: str, artifact: str | None = None, settings: Any = None) -> TraceViewer:
        """A viewer of a trace logged as a JSON artifact of MLflow run ``run_id`` (the first ``traces/*.json``
        when ``artifact`` is not given), from the configured store (or ``settings``'s)."""
        import mlflow

        from workbench.config import get_settings

        client = mlflow.MlflowClient((settings or get_settings()).tracking_uri)
        if artifact is None:
            found = [a.path for a in client.list_artifacts(run_id, "traces") if a.path.endswith(".json")]
            if not found:
                raise FileNotFoundError(f"MLflow run {run_id} has no traces/*.json artifact; pass artifact=")
            artifact = found[0]
        local = client.download_artifacts(run_id, artifact)
        return cls(Trace.from_json(Path(local).read_text(encoding="utf-8")))

    def watch(self, trace: Trace) -> None:
        """Show ``trace`` and redraw on its events (at most every ``REDRAW_EVERY_S``, and at ``run_end``)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.trace = trace
        self._unsubscribe = trace.subscribe(self._on_event)
        self.redraw()

    def add(self, event: TraceEvent) -> None:
        """Show one more event, e.g. from ``async for event in supervisor.astream(question)``."""
        if self.trace.session != event.session or (self.trace.events and event.seq <= self.trace.events[-1].seq):
            self.trace = Trace(event.session)
        self.trace.events.append(event)
        self._on_event(event)

    def _on_event(self, event: TraceEvent) -> None:
        if event.kind == "run_end" or time.monotonic() - self._last_draw >= REDRAW_EVERY_S:
            self.redraw()
        if event.kind == "run_end" and self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def redraw(self) -> None:
        """Redraw every part from the trace's current events."""
        import ipywidgets as w
        import pandas  # noqa: F401  plotly looks pandas up in sys.modules; this waits out a half-done import

        with self._lock:
            self._last_draw = time.monotonic()
            trace = self.trace
            calls = trace.of_kind("lm_call", "cache_hit")
            errors = trace.of_kind("error")
            tokens = sum(int(e.data.get("prompt_tokens", 0)) + int(e.data.get("completion_tokens", 0))
                         for e in calls)
            running = bool(trace.events) and trace.events[-1].kind != "run_end"
            hits = sum(e.kind == "cache_hit" for e in calls)
            self._summary.value = (f"<b>{html.escape(trace.session or 'trace')}</b>: {len(trace)} events, "
                                   f"{len(calls)} LM calls ({hits} from DSPy's cache), {tokens:,} tokens, "
                                   f"<span style='color:{'#b00' if errors else '#080'}'>{len(errors)} errors</span>"
                                   f"{' — running…' if running else ''}")
            # outputs set directly (not `with output:`), which also works from the thread a run streams in
            shown = any(e.kind.endswith("_start") for e in trace.events)
            self._timeline.outputs = (_figure_output(timeline_figure(trace)),) if shown else ()
            self._errors.value = "".join(
                f"<div style='color:#b00;border-left:3px solid #b00;padding-left:6px'>error in "
                f"{html.escape(e.name)} ({html.escape(str(e.data.get('during', '')))}): "
                f"{html.escape(str(e.data.get('error', '')))}</div>" for e in errors)
            panels = [w.HTML(_lm_call_html(e)) for e in calls]
            self._lm_calls.children = panels
            for i, e in enumerate(calls):
                took = f"{e.elapsed_ms / 1000:.1f} s" if e.elapsed_ms is not None else ""
                used = ("cached" if e.kind == "cache_hit" else
                        f"{e.data.get('prompt_tokens', '?')}+{e.data.get('completion_tokens', '?')} tokens")
                self._lm_calls.set_title(i, f"#{e.seq} {e.data.get('node', '')} · {e.name} · {used} · {took}")
            self._details.value = (_evaluation_html(trace.of_kind("decision"))
                                   + _sql_html(trace.of_kind("sql")) + _retrieval_html(trace.of_kind("retrieval"))
                                   + _observation_html(trace.of_kind("observation")))

    def widget(self) -> Any:
        """The ipywidgets box."""
        return self._box

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._box)

    def __repr__(self) -> str:
        return f"TraceViewer({self.trace!r})"


def _figure_output(fig: Any) -> dict[str, Any]:
    """A figure as an output record: plotly's own MIME type (drawn offline by its JupyterLab renderer), with an
    HTML fallback (plotly.js from the CDN) for front ends without that renderer."""
    return {"output_type": "display_data", "metadata": {},
            "data": {"application/vnd.plotly.v1+json": {**json.loads(fig.to_json()), "config": {"responsive": True}},
                     "text/html": fig.to_html(full_html=False, include_plotlyjs="cdn"),
                     "text/plain": f"timeline of {len(fig.data)} spans"}}


def _pre(text: Any) -> str:
    return (f"<pre style='white-space:pre-wrap;max-height:300px;overflow:auto;background:#f6f6f6'>"
            f"{html.escape(str(text))}</pre>")


def _lm_call_html(event: TraceEvent) -> str:
    data = event.data
    facts = {k: data.get(k) for k in ("node", "purpose", "prompt_tokens", "completion_tokens", "truncated")
             if data.get(k) not in (None, "")}
    took = f"{event.elapsed_ms:.0f} ms" if event.elapsed_ms is not None else "?"
    return (f"<div>{html.escape(json.dumps(facts, default=str))}, latency {took}</div>"
            f"<b>prompt</b>{_pre(data.get('prompt', ''))}<b>completion</b>{_pre(data.get('completion', ''))}")


def _evaluation_html(decisions: list[TraceEvent]) -> str:
    """Each iteration's probability (green at or above the threshold, red below) with the failed checks and the
    feedback, then the answer checker's verdict."""
    rows = []
    for e in decisions:
        d = e.data
        if e.name == "evaluate":
            score, threshold = float(d.get("score", 0.0)), float(d.get("threshold", 0.0))
            failed = "; ".join(f"{agent}: {', '.join(names)}" for agent, names in (d.get("failed_checks") or {}).items()
                               if names) or "none"
            colour = "#080" if score >= threshold else "#b00"
            rows.append(f"<tr><td>iteration {d.get('iteration', 0)}</td><td style='color:{colour}'><b>{score:.2f}</b>"
                        f" (threshold {threshold:.2f}, by {html.escape(str(d.get('source', '')))})</td>"
                        f"<td>{html.escape(failed)}</td><td>{html.escape(str(d.get('feedback', '')))}</td></tr>")
        elif e.name == "faithfulness" and "faithful" in d:
            ok = d.get("faithful") and d.get("complete")
            problems = ", ".join([*(f"unsupported {u}" for u in d.get("unsupported", [])),
                                  *(f"missing {m}" for m in d.get("missing", []))]) or "none"
            rows.append(f"<tr><td>answer</td><td style='color:{'#080' if ok else '#b00'}'>"
                        f"{'faithful' if ok else 'not faithful'} ({html.escape(str(d.get('how', '')))})</td>"
                        f"<td>{html.escape(problems)}</td><td></td></tr>")
    if not rows:
        return ""
    return ("<b>Evaluation</b><table><tr><th></th><th>probability right</th><th>failed checks</th><th>feedback</th>"
            f"</tr>{''.join(rows)}</table>")


def _sql_html(events: list[TraceEvent]) -> str:
    if not events:
        return ""
    rows = "".join(
        f"<tr style='{'' if e.data.get('ok', True) else 'color:#b00'}'><td>{html.escape(e.name)}</td>"
        f"<td><code>{html.escape(str(e.data.get('sql', '')))}</code>{_preview_html(e.data)}</td>"
        f"<td>{e.data.get('rows')}</td><td>{html.escape(str(e.data.get('error', '') or ''))}</td></tr>"
        for e in events)
    return (f"<b>SQL</b><table><tr><th>agent</th><th>query and its first rows</th><th>rows</th><th>error</th></tr>"
            f"{rows}</table>")


def _preview_html(data: dict[str, Any]) -> str:
    """The first rows of a query's result, as a small table (empty when the event has none)."""
    columns, preview = data.get("columns") or [], data.get("preview") or []
    if not columns:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in preview)
    return f"<table style='font-size:90%;margin-top:4px'><tr>{head}</tr>{body}</table>"


def _retrieval_html(events: list[TraceEvent]) -> str:
    if not events:
        return ""
    rows = []
    for e in events:
        ids, scores, titles = e.data.get("doc_ids", []), e.data.get("scores", []), e.data.get("titles", [])
        sources = "<br>".join(
            f"{html.escape(str(doc))} {html.escape(str(titles[i]) if i < len(titles) else '')}"
            f"{f' ({scores[i]:.3f})' if i < len(scores) else ''}" for i, doc in enumerate(ids[:10]))
        rows.append(f"<tr><td>{html.escape(e.name)}</td><td>{html.escape(str(e.data.get('query', '')))}</td>"
                    f"<td>{e.data.get('hits')}</td><td>{e.data.get('confidence')}</td><td>{sources}</td></tr>")
    return (f"<b>Retrieval</b><table><tr><th>agent</th><th>query</th><th>hits</th><th>confidence</th>"
            f"<th>sources (score)</th></tr>{''.join(rows)}</table>")


def _observation_html(events: list[TraceEvent]) -> str:
    """What other agents' results reported (``observation`` events): the agent and each detail."""
    if not events:
        return ""
    rows = "".join(f"<tr><td>{html.escape(e.name)}</td><td>{html.escape(_details(e.data))}</td></tr>" for e in events)
    return f"<b>Other results</b><table><tr><th>agent</th><th>details</th></tr>{rows}</table>"


def _details(data: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in data.items() if k != "node")
