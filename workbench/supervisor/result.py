"""``RunResult``: a supervisor run's answer with its evidence, scores, plan, errors and trace.

In a notebook it shows the answer, then each agent's evidence (each result
as it shows itself: the SQL with its table and chart, the cited sources), the
judge's scores and the timings. Evidence comes from the live agent results
when the run happened in this process, and from the checkpointed records
otherwise (a resumed or reloaded session: tables keep their first rows, charts
are redrawn).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.agents.result import TextResult, record_parts, record_value
from workbench.display import parts_html, show
from workbench.tracing import Trace

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunResult:
    """The outcome of ``Supervisor.run``: answer, evidence records (by key), scores, plan, errors, trace."""

    session_id: str
    question: str
    answer: str
    records: dict[str, dict[str, Any]]
    scores: list[dict[str, Any]]
    plan: list[list[dict[str, str]]]
    plan_source: str
    plan_note: str
    iterations: int
    errors: list[str]
    trace: Trace
    elapsed_s: float
    finished: bool = True
    live: dict[str, Any] = field(default_factory=dict, repr=False)
    answer_keys: list[str] = field(default_factory=list)
    answer_score: float | None = None
    faithfulness: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        """The evaluator's probability that the answer's evidence is right: of the records the answer rests on
        when they were scored, else the last judgement's score (``None`` before any evaluation)."""
        if self.answer_score is not None:
            return self.answer_score
        return self.scores[-1]["score"] if self.scores else None

    @property
    def failed_checks(self) -> dict[str, list[str]]:
        """Per record key the answer rests on, the checks that failed (empty lists for clean records)."""
        return {key: [c["name"] for c in (self.records[key].get("payload") or {}).get("checks") or []
                      if not c["passed"]] for key in self.answer_keys if key in self.records}

    @property
    def ok(self) -> bool:
        """True when the run finished with an answer written from at least one agent's usable evidence."""
        return (self.finished and any(r["ok"] for r in self.records.values())
                and not any(e.startswith("answer:") for e in self.errors))

    @property
    def agents(self) -> list[str]:
        """The agents that were called, in order."""
        return list(dict.fromkeys(r["agent"] for r in self.records.values()))

    def evidence(self, key: str) -> Any:
        """The agent result under ``key``: the live object when this process made it (the value itself for an
        agent that returned a plain value), else what its checkpointed record holds (a DataFrame of the first
        rows for SQL, a DataFrame of sources for retrieval, the text, or the record)."""
        live = self.live.get(key)
        if live is not None:
            return live.value if isinstance(live, TextResult) else live
        record = self.records[key]
        return record_value(record["payload"]) if record.get("payload") else record.get("error", "")

    def lm_calls(self) -> pd.DataFrame:
        """One row per LM answer in the trace: which node or agent, tokens, latency. ``kind`` is ``lm_call`` for
        a generated answer and ``cache_hit`` for one DSPy served from its cache (no tokens spent)."""
        frame = self.trace.to_dataframe()
        return frame[frame["kind"].isin(["lm_call", "cache_hit"])].reset_index(drop=True) if len(frame) else frame

    def to_dict(self) -> dict[str, Any]:
        """The result as plain values (no live objects, no trace)."""
        return {"session_id": self.session_id, "question": self.question, "answer": self.answer,
                "score": self.score, "iterations": self.iterations, "plan": self.plan,
                "plan_source": self.plan_source, "plan_note": self.plan_note, "scores": self.scores,
                "records": self.records, "errors": self.errors, "elapsed_s": self.elapsed_s,
                "finished": self.finished, "answer_keys": self.answer_keys, "faithfulness": self.faithfulness}

    def __repr__(self) -> str:
        score = "-" if self.score is None else f"{self.score:.2f}"
        state = "" if self.finished else ", unfinished"
        return (f"RunResult({self.session_id!r}, agents={self.agents}, score={score}, iterations={self.iterations}, "
                f"{self.elapsed_s:.1f} s{state}): {self.answer[:200]!r}")

    def _parts(self) -> list[Any]:
        """What the notebook shows, in order: HTML snippets and plotly figures."""
        score = "-" if self.score is None else f"{self.score:.2f}"
        checked = ""
        if self.faithfulness:
            f = self.faithfulness
            verdict = "faithful to the evidence" if f.get("faithful") and f.get("complete") else "checked"
            how = {"draft": "", "rewrite": ", rewritten once", "template": ", written from the rows"}.get(f["how"], "")
            checked = f" · answer {verdict}{how}"
        parts: list[Any] = [
            f"<h3>{html.escape(self.question)}</h3>",
            f"<p style='font-size:1.1em'>{html.escape(self.answer or '(no answer yet)')}</p>",
            f"<p><small>session <code>{html.escape(self.session_id)}</code> · probability right {score} · "
            f"{self.iterations} iteration(s) · plan by {html.escape(self.plan_source)}{checked} · "
            f"{self.elapsed_s:.1f} s{'' if self.finished else ' · <b>unfinished</b>'}</small></p>"]
        resting = [k for k in self.answer_keys if k in self.records] or list(self.records)
        for key in resting:
            parts.extend(self._record_parts(key, self.records[key]))
        others = [k for k in self.records if k not in resting]
        if others:
            parts.append("<h4>Other attempts (not used by the answer)</h4>")
            for key in others:
                parts.extend(self._record_parts(key, self.records[key]))
        if self.scores:
            rows = "".join(f"<tr><td>{s['iteration']}</td><td>{s['score']:.2f}</td>"
                           f"<td>{html.escape(', '.join(f'{a} {v:.2f}' for a, v in s['agent_scores'].items()))}</td>"
                           f"<td>{html.escape(_failed(s))}</td>"
                           f"<td>{html.escape(s['feedback'])}</td><td>{s['source']}</td></tr>" for s in self.scores)
            parts.append("<h4>Evaluation</h4><table><tr><th>iteration</th><th>probability right</th>"
                         f"<th>per agent</th><th>failed checks</th><th>feedback</th><th>by</th></tr>{rows}</table>")
        if self.errors:
            items = "".join(f"<li>{html.escape(e)}</li>" for e in self.errors)
            parts.append(f"<h4 style='color:#b00'>Errors</h4><ul>{items}</ul>")
        lm = self.trace.of_kind("lm_call")
        tokens = sum(int(e.data.get("prompt_tokens", 0)) + int(e.data.get("completion_tokens", 0)) for e in lm)
        cached = len(self.trace.of_kind("cache_hit"))
        from_cache = f" ({cached} more answered from the cache)" if cached else ""
        parts.append(f"<p><small>{len(self.trace)} trace events, {len(lm)} LM calls{from_cache}, {tokens} tokens; "
                     "<code>.trace.to_dataframe()</code> has them all.</small></p>")
        return parts

    def _repr_html_(self) -> str:
        """Static HTML (exports, viewers); its charts load plotly.js from the CDN, so they need a network."""
        return parts_html(self._parts())

    def _ipython_display_(self) -> None:
        """In Jupyter: the same content, with charts drawn by plotly's own renderer (works offline)."""
        show(self._parts())

    def _record_parts(self, key: str, record: dict[str, Any]) -> list[Any]:
        """One agent's evidence: the live result as it shows itself, else its checkpointed record."""
        stand_in = f" (for {record['substituted_for']})" if record["substituted_for"] else ""
        head = (f"<h4>{html.escape(record['agent'])}{html.escape(stand_in)}: {html.escape(record['task'])}</h4>"
                f"<p><small>{record['elapsed_ms']:.0f} ms, {record['attempts']} attempt(s)</small></p>")
        if not record["ok"]:
            why = f"{html.escape(record['error_kind'])}: {html.escape(record['error'])}"
            return [head + f"<p style='color:#b00'>{why}</p>"]
        live = self.live.get(key)
        if live is not None:
            return [head, live]
        return [head, *record_parts(record.get("payload") or {}, title=record["task"])]


def _failed(score: dict[str, Any]) -> str:
    """The failed checks of one judgement, ``agent: check, check``; empty when none failed or none were run."""
    failed = {agent: [c["name"] for c in checks if not c["passed"]] for agent, checks in
              (score.get("checks") or {}).items()}
    return "; ".join(f"{agent}: {', '.join(names)}" for agent, names in failed.items() if names)
