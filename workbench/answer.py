"""Ask a database a question: text2sql with a DSPy program, then guarded read-only execution.

This is the single-worker path used by ``workbench ask`` and the demo; the
supervisor (issue 5) will route questions through agents instead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.sql.database import Database

if TYPE_CHECKING:
    import dspy
    import pandas as pd

    from workbench.sql.text2sql import SQLAttempt, Text2SQLOptions


@dataclass
class Answer:
    """The outcome of one question: the SQL, its rows, or the error that stopped it.

    ``error_kind`` is one of ``unsafe``, ``syntax``, ``execution``, ``timeout``, ``lm`` or empty;
    ``attempts`` lists every generated query (first try and repairs) with its error.
    """

    question: str
    sql: str = ""
    frame: pd.DataFrame | None = None
    truncated: bool = False
    error: str = ""
    error_kind: str = ""
    seconds: float = 0.0
    tokens: dict[str, int] = field(default_factory=dict)
    attempts: list[SQLAttempt] = field(default_factory=list)

    @property
    def cached(self) -> bool:
        """True when the LM reported no token usage: its answer came from DSPy's response cache.

        (A remote provider that reports no usage at all would also read as cached.)
        """
        return bool(self.sql) and not any(self.tokens.values())

    @property
    def ok(self) -> bool:
        """True when the SQL ran and returned a table."""
        return self.frame is not None and not self.error

    def to_record(self) -> dict[str, Any]:
        """A JSON-able summary (rows capped at 20), e.g. for an MLflow artifact."""
        rows = [] if self.frame is None else self.frame.head(20).astype(str).values.tolist()
        columns = [] if self.frame is None else [str(c) for c in self.frame.columns]
        return {"question": self.question, "sql": self.sql, "ok": self.ok, "error": self.error,
                "error_kind": self.error_kind, "seconds": round(self.seconds, 3), "tokens": self.tokens,
                "cached": self.cached, "attempts": len(self.attempts), "columns": columns, "rows": rows,
                "truncated": self.truncated}

    def __str__(self) -> str:
        body = self.error if self.error else self.frame.to_string(max_rows=15, index=False)  # type: ignore[union-attr]
        return f"Q: {self.question}\nSQL: {self.sql or '-'}\n{body}\n({self._timing()})"

    def _timing(self) -> str:
        repairs = f", {len(self.attempts) - 1} repair(s)" if len(self.attempts) > 1 else ""
        return f"{self.seconds:.1f} s{repairs}" + (", LM answer from DSPy's cache" if self.cached else "")

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.question)}</b> ({self._timing()})</p><pre>{html.escape(self.sql)}</pre>"
        if self.error:
            return head + f"<p style='color:#b00'>{self.error_kind}: {html.escape(self.error)}</p>"
        return head + self.frame.to_html(max_rows=20, index=False)  # type: ignore[union-attr]


def ask(question: str, db: Database | str, *, lm: dspy.BaseLM | str | None = None,
        options: Text2SQLOptions | None = None) -> Answer:
    """Generate SQL for ``question`` over ``db`` with ``lm`` (default: the ``lm`` setting) and run it read-only.

    ``options`` switches the text2sql techniques (sample values, repair, self-consistency).
    """
    from workbench.lm import resolve_lm
    from workbench.sql.text2sql import SQLWriter

    database = db if isinstance(db, Database) else Database.open(db)
    outcome = SQLWriter(database, options, lm=resolve_lm(lm))(question)
    answer = Answer(question, sql=outcome.sql, error=outcome.error, error_kind=outcome.error_kind,
                    seconds=outcome.seconds, tokens=outcome.tokens, attempts=outcome.attempts)
    if outcome.result is not None:
        answer.frame, answer.truncated = outcome.result.frame, outcome.result.truncated
    return answer
