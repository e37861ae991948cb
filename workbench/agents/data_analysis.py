"""DataAnalysisAgent: natural language → guarded SQL → DataFrame → summary and chart.

``await agent.execute("question")`` (or ``agent.run``) returns a
``DataAnalysisResult`` with the SQL, its rows, every attempt and error, a
short summary, an automatic plotly chart, the checks of the result
(``workbench.sql.checks``: did it run, rows, shape, agreement with an
independently sampled query, coverage), timings, token usage and a cache
key. ``agent.retry(Retry(question, ...))`` tries again with more sampled
candidates and a repair aimed at the failed check, and the rows most
candidates agree on win. ``ask(question, db)`` is the one-call front door: the same agent, with
the LM calls and the SQL recorded in the result's ``trace``. In a notebook the
result shows itself as the answer table, the chart and the SQL.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.agents.base import Retry
from workbench.agents.result import TraceEventSpec, emit_result, jsonable
from workbench.display import parts_html, show
from workbench.sql.checks import Check
from workbench.sql.database import Database
from workbench.sql.text2sql import SQLAttempt, SQLOutcome, SQLWriter, Text2SQLOptions
from workbench.tracing import Trace, current_trace, use_trace

if TYPE_CHECKING:
    import dspy
    import pandas as pd

EVIDENCE_ROWS = 10  # rows of the result the judge and the answer writer read
RECORD_ROWS = 50  # rows kept in the checkpointed record; the live result keeps all of them
PREVIEW_ROWS = 5  # rows kept (as text) in the ``sql`` trace event
DEFAULT_OPTIONS = Text2SQLOptions(candidates=2)  # the greedy query, checked against one sampled query
RETRY_CANDIDATES = 2  # sampled queries a retry adds
RECENT = 64  # outcomes kept for retries


@dataclass(frozen=True)
class DataAnalysisTask:
    """A question for the data-analysis agent."""

    question: str


@dataclass
class DataAnalysisResult:
    """What the agent found: SQL, rows, summary, chart, attempts with errors, timings, tokens, cache key.

    ``error_kind`` is one of ``unsafe``, ``syntax``, ``execution``, ``timeout``, ``lm`` or empty;
    ``attempts`` lists every generated query (first try and repairs) with its error. ``trace`` holds the LM
    calls and the SQL of an ``ask`` (``None`` when the supervisor ran the agent: its run has the trace).
    """

    question: str
    sql: str
    frame: pd.DataFrame | None
    summary: str
    chart_kind: str
    figure: Any
    attempts: list[SQLAttempt]
    timings: dict[str, float]
    tokens: dict[str, int]
    cache_key: str
    error: str = ""
    error_kind: str = ""
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    trace: Trace | None = field(default=None, repr=False)
    seconds: float = 0.0  # the text2sql pipeline's own time: generation, guard, execution, repairs
    checks: list[Check] = field(default_factory=list)
    candidates: int = 1
    shown_sql: str = ""  # the query whose rows ``frame`` holds, when the sort columns were added for display

    @property
    def ok(self) -> bool:
        """True when SQL ran and produced the table."""
        return self.frame is not None

    @property
    def cached(self) -> bool:
        """True when the LM reported no token usage: its answer came from DSPy's response cache.

        (A remote provider that reports no usage at all would also read as cached.)
        """
        return bool(self.sql) and not any(self.tokens.values())

    def evidence(self) -> str:
        """The SQL and its first rows (or why it failed), as the judge and the answer writer read them."""
        if self.frame is None:
            return f"SQL failed ({self.error_kind}): {self.error}"
        rows = self.frame.head(EVIDENCE_ROWS).to_string(index=False)
        more = (f"\n({len(self.frame)} rows in all; first {EVIDENCE_ROWS} shown)"
                if len(self.frame) > EVIDENCE_ROWS else "")
        shown = f"\nShown with the columns it sorts by: {self.shown_sql}" if self.shown_sql else ""
        return f"SQL: {self.sql}{shown}\nResult:\n{rows}{more}"

    def record(self) -> dict[str, Any]:
        """A ``table`` record: SQL, summary, chart kind, the checks and, when it ran, columns, row count and
        first rows."""
        record: dict[str, Any] = {"type": "table", "sql": self.sql, "summary": self.summary,
                                  **({"shown_sql": self.shown_sql} if self.shown_sql else {}),
                                  "chart_kind": self.chart_kind, "candidates": self.candidates,
                                  "checks": [{"name": c.name, "value": c.value, "passed": c.passed, "note": c.note}
                                             for c in self.checks]}
        if self.frame is not None:
            head = self.frame.head(RECORD_ROWS)
            record.update(columns=[str(c) for c in self.frame.columns], n_rows=len(self.frame),
                          rows=head.astype(object).where(head.notna(), None).values.tolist())
        return jsonable(record)

    def trace_events(self) -> list[TraceEventSpec]:
        """One ``sql`` event: the query, row count, columns, first rows (as text) and error."""
        frame = self.frame
        return [("sql", {"sql": self.sql, "rows": None if frame is None else len(frame), "ok": frame is not None,
                         "error": self.error, "failed_checks": [c.name for c in self.checks if not c.passed],
                         "columns": [] if frame is None else [str(c) for c in frame.columns],
                         "preview": [] if frame is None else
                         frame.head(PREVIEW_ROWS).astype(str).values.tolist()})]

    def __str__(self) -> str:
        body = self.error if self.frame is None else self.frame.to_string(max_rows=15, index=False)
        return f"Q: {self.question}\nSQL: {self.sql or '-'}\n{body}\n({self._timing()})"

    def _timing(self) -> str:
        repairs = f", {len(self.attempts) - 1} repair(s)" if len(self.attempts) > 1 else ""
        return f"{self.seconds:.1f} s{repairs}" + (", LM answer from DSPy's cache" if self.cached else "")

    def _parts(self) -> list[Any]:
        parts: list[Any] = [f"<h4>{html.escape(self.question)}</h4><pre>{html.escape(self.sql or '-')}</pre>"]
        if self.frame is None:
            parts.append(f"<p style='color:#b00'>{self.error_kind}: {html.escape(self.error)}</p>")
        else:
            parts.append(f"<p>{html.escape(self.summary)}</p>")
            if self.figure is not None:
                parts.append(self.figure)
            parts.append(self.frame.to_html(max_rows=20, index=False))
        timing = ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items())
        cached = "; LM answer from DSPy's cache" if self.cached else ""
        parts.append(f"<p><small>{len(self.attempts)} attempt(s), {self.candidates} candidate(s); {timing}; tokens "
                     f"{self.tokens}{cached}</small></p>")
        failed = [c for c in self.checks if not c.passed]
        if failed:
            items = "".join(f"<li>{html.escape(c.name)}: {html.escape(c.note or 'failed')}</li>" for c in failed)
            parts.append(f"<p><small>Failed checks:</small></p><ul>{items}</ul>")
        return parts

    def _repr_html_(self) -> str:
        """Static HTML: question, SQL, summary, chart (plotly.js from its CDN), table, attempts and timings."""
        return parts_html(self._parts())

    def _ipython_display_(self) -> None:
        """In Jupyter: the same, with the chart drawn by plotly's own renderer (works offline)."""
        show(self._parts())


class DataAnalysisAgent:
    """Answers questions about one database with generated, guarded, read-only SQL.

    Args:
        db: The database (a ``Database`` or a DuckDB/SQLite file path).
        lm: The LM (a ``dspy.LM`` or model name); default the ``lm`` setting.
        options: Text2SQL switches (sample values, repair, self-consistency); default ``DEFAULT_OPTIONS``: the
            greedy query plus one sampled query that checks it.
        about: What the data is, for the planner (e.g. "our 2024 sales"); the tables are listed regardless.
        verify: Ask the LM whether the chosen query answers the question (``workbench.sql.verifier``: one
            forward pass of a local model, read from its first token); the ``lm_check`` signal.
    """

    name = "data_analysis"
    DESCRIPTION = ("Answers questions about tabular data by writing and running read-only SQL (counts, totals, "
                   "averages, rankings, trends); returns a table and chart.")

    def __init__(self, db: Database | str | Path, *, lm: dspy.BaseLM | str | None = None,
                 options: Text2SQLOptions | None = None, about: str = "", verify: bool = True) -> None:
        self.db = db if isinstance(db, Database) else Database.open(db)
        self._lm = lm
        self.options = options or DEFAULT_OPTIONS
        self.about = about
        self._writer: SQLWriter | None = None
        self._recent: OrderedDict[str, SQLOutcome] = OrderedDict()  # question → outcome, for retries
        self._recent_lock = threading.Lock()
        self.verify = verify
        self._verifier: Any = None
        self._verified: OrderedDict[tuple[str, str], float | None] = OrderedDict()
        self._vocabulary: frozenset[str] | None = None

    @property
    def description(self) -> str:
        """What the planner reads: what the agent does, then the data and its tables with some columns."""
        about = f" The data: {self.about}." if self.about else ""
        return f"{self.DESCRIPTION}{about} Tables: {describe_tables(self.db)}."

    def __repr__(self) -> str:
        return f"DataAnalysisAgent({self.db!r})"

    @property
    def writer(self) -> SQLWriter:
        """The text2sql pipeline bound to this agent's database and LM (built on first use)."""
        if self._writer is None:
            from workbench.lm import resolve_lm

            self._writer = SQLWriter(self.db, self.options, lm=resolve_lm(self._lm))
        return self._writer

    def forget(self) -> None:
        """Drop what the agent remembers between calls (recent outcomes kept for retries, and the LM check's
        verdicts), so the next call computes everything again (benchmarks time computed answers)."""
        with self._recent_lock:
            self._recent.clear()
            self._verified.clear()

    def relevance(self, question: str) -> float:
        """Share of the question's content words that name a table or column of the database
        (``workbench.sql.vocabulary``); the supervisor's router reads it to decide without the LM."""
        from workbench.sql.vocabulary import schema_relevance, schema_vocabulary

        if self._vocabulary is None:
            self._vocabulary = schema_vocabulary(self.db)
        return schema_relevance(question, self._vocabulary)

    def cache_key(self, question: str) -> str:
        """Key for caching answers: normalised question, schema fingerprint, program version, switches and LM."""
        from workbench.programs.text2sql import VERSION

        lm = self._lm if isinstance(self._lm, str) or self._lm is None else getattr(self._lm, "model", "lm")
        normal = re.sub(r"\s+", " ", question.strip().lower())
        text = "|".join([normal, self.db.fingerprint, VERSION, repr(sorted(self.options.as_params().items())),
                         str(lm)])
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def health(self) -> dict[str, Any]:
        """``ok`` when the database answers a trivial query; otherwise ``error`` says why."""
        try:
            self.db.fetch(f"SELECT 1 FROM {self.db.tables[0].name} LIMIT 1", timeout_s=5)
        except Exception as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        return {"ok": True, "tables": len(self.db.tables)}

    async def execute(self, task: DataAnalysisTask | str) -> DataAnalysisResult:
        """Answer one question without blocking the event loop."""
        return await asyncio.to_thread(self.run, task)

    def run(self, task: DataAnalysisTask | str) -> DataAnalysisResult:
        """Answer one question (the synchronous form of ``execute``)."""
        question = task.question if isinstance(task, DataAnalysisTask) else task
        started = time.perf_counter()
        outcome = self.writer(question)
        self._remember(question, outcome)
        return self._result(question, outcome, started)

    async def retry(self, retry: Retry) -> DataAnalysisResult:
        """Try a question again after a low score without blocking the event loop (see ``run_retry``)."""
        return await asyncio.to_thread(self.run_retry, retry)

    def run_retry(self, retry: Retry) -> DataAnalysisResult:
        """Try again: a repair aimed at the failed check (no rows, wrong shape, an error), then more sampled
        candidates; the rows most candidates agree on win (a result with rows before an empty one).

        The earlier candidates for the question are kept when this agent made them recently, so nothing is
        generated twice.
        """
        task = retry.task
        question = task.question if isinstance(task, DataAnalysisTask) else str(task)
        started = time.perf_counter()
        with self._recent_lock:
            recent = self._recent.get(question)
        outcome = self.writer(question) if recent is None else recent.copy()
        if {"ran", "rows", "shape"} & set(retry.failed) and retry.feedback:
            self.writer.repair_candidate(outcome, retry.feedback)
        self.writer.more_candidates(outcome, RETRY_CANDIDATES)
        self._remember(question, outcome)
        return self._result(question, outcome, started)

    def _lm_check(self, question: str, outcome: SQLOutcome) -> list[Check]:
        """The ``lm_check`` signal for the chosen query (0.5 when not asked or not answerable)."""
        if not self.verify or outcome.result is None:
            return [Check("lm_check", 0.5 if outcome.result is not None else 0.0, outcome.result is not None)]
        key = (question, outcome.sql)
        with self._recent_lock:
            known = key in self._verified
            p = self._verified.get(key)
        if not known:
            from workbench.sql.verifier import SQLVerifier, preview_of

            if self._verifier is None:
                self._verifier = SQLVerifier(self._lm)
            try:
                p = self._verifier.probability(question, self.writer.schema_for(question), outcome.sql,
                                               preview_of(outcome.result.frame))
            except Exception:  # a failed check is an unknown signal, not a failed answer
                p = None
            with self._recent_lock:
                self._verified[key] = p
                while len(self._verified) > RECENT:
                    self._verified.popitem(last=False)
        if p is None:
            return [Check("lm_check", 0.5, True)]
        note = "" if p >= 0.5 else f"the model doubts the query answers the question (P(yes) {p:.2f})"
        return [Check("lm_check", round(p, 4), p >= 0.5, note)]

    def _with_sort_columns(self, sql: str, frame: pd.DataFrame | None) -> tuple[str, pd.DataFrame | None]:
        """The rows again with the columns the query sorts by, when it ranks without showing them
        (``workbench.sql.ranking``); the same rows otherwise, or when the wider query fails or differs in length."""
        from workbench.sql.ranking import with_order_columns

        wider = with_order_columns(sql, self.db.dialect) if frame is not None else None
        if wider is None or frame is None:
            return "", frame
        try:
            shown = self.db.execute(wider, row_limit=self.options.row_limit, timeout_s=self.options.timeout_s).frame
        except Exception:
            return "", frame
        return (wider, shown) if len(shown) == len(frame) else ("", frame)

    def _remember(self, question: str, outcome: SQLOutcome) -> None:
        with self._recent_lock:
            self._recent[question] = outcome
            self._recent.move_to_end(question)
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)

    def _result(self, question: str, outcome: SQLOutcome, started: float) -> DataAnalysisResult:
        from workbench.agents.charts import choose_chart
        from workbench.sql.checks import sql_checks

        checks = sql_checks(question, self.db, outcome) + self._lm_check(question, outcome)
        frame = outcome.result.frame if outcome.result is not None else None
        shown_sql, frame = self._with_sort_columns(outcome.sql, frame)
        generated = time.perf_counter()
        kind, figure = choose_chart(frame, title=question) if frame is not None else ("table", None)
        finished = time.perf_counter()
        truncated = outcome.result is not None and outcome.result.truncated
        return DataAnalysisResult(
            question=question, sql=outcome.sql, frame=frame, summary=summarise_frame(frame, truncated),
            chart_kind=kind, figure=figure, attempts=outcome.attempts,
            timings={"sql": generated - started, "chart": finished - generated, "total": finished - started},
            tokens=dict(outcome.tokens), cache_key=self.cache_key(question), error=outcome.error,
            error_kind=outcome.error_kind, truncated=truncated, seconds=outcome.seconds, checks=checks,
            candidates=len(outcome.candidates), shown_sql=shown_sql,
        )

    def ask(self, question: str) -> DataAnalysisResult:
        """``run`` with its own trace: the result's ``trace`` has the LM calls and the ``sql`` event.

        Inside another trace (``use_trace``) the events also reach that one.
        """
        outer = current_trace()
        trace = Trace() if outer is None else outer.child(agent=self.name)
        with use_trace(trace):
            result = self.run(question)
            emit_result(result, self.name, trace)
        result.trace = trace
        return result


def ask(question: str, db: Database | str | Path, *, lm: dspy.BaseLM | str | None = None,
        options: Text2SQLOptions | None = None) -> DataAnalysisResult:
    """Answer ``question`` over ``db`` with generated, guarded, read-only SQL: ``DataAnalysisAgent(db).ask``.

    ``lm`` is a ``dspy.LM`` or a model name (default: the ``lm`` setting); ``options`` switches the text2sql
    techniques (sample values, repair, self-consistency). The result has the SQL, the rows as ``frame``, a
    chart, timings, tokens, and a ``trace`` of the LM calls and the SQL.
    """
    return DataAnalysisAgent(db, lm=lm, options=options).ask(question)


def describe_tables(db: Database, columns: int = 6, limit: int = 600) -> str:
    """``table(col, col, ...)`` for each table, the first ``columns`` columns each, within ``limit`` characters."""
    parts = []
    for table in db.tables:
        names = [c.name for c in table.columns]
        more = ", ..." if len(names) > columns else ""
        parts.append(f"{table.name}({', '.join(names[:columns])}{more})")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[:limit].rsplit(";", 1)[0] + "; ..."


def summarise_frame(frame: pd.DataFrame | None, truncated: bool = False) -> str:
    """One line about a result: rows, columns with their types, and whether the row limit cut it."""
    if frame is None:
        return "no result"
    columns = ", ".join(f"{c} ({frame[c].dtype})" for c in frame.columns)
    cut = " (cut at the row limit)" if truncated else ""
    if len(frame) == 1 and frame.shape[1] == 1:
        return f"1 value: {frame.iloc[0, 0]!r} ({frame.columns[0]})"
    return f"{len(frame)} rows{cut}; columns: {columns}"
