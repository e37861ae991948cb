"""Text2SQL prompts (DSPy signatures and modules): write SQL, and rewrite it from error feedback.

One signature serves both the first attempt (empty feedback) and repairs
(feedback = the failed query and its error), and the schema comes first, so
every call on one database shares a long prompt prefix that the local engine
reuses instead of re-reading the schema.
"""

from __future__ import annotations

import re
from typing import Any

import dspy

VERSION = "text2sql-v4"
NO_FEEDBACK = "none"
# Generation limits: a query is rarely over 150 tokens, and a small model that loops would otherwise run to the
# time limit (the 0.5B model sometimes repeats a clause until it is cut off).
MAX_TOKENS = 256
MAX_TOKENS_REASONING = 640


class GenerateSQL(dspy.Signature):
    """Write one SQL query in the given dialect that answers the question, using the tables and columns in the
    schema. If feedback shows a failed query, write a corrected query."""

    db_schema: str = dspy.InputField(desc="CREATE TABLE statements, with example values in comments")
    dialect: str = dspy.InputField(desc="SQL dialect, e.g. sqlite or duckdb")
    question: str = dspy.InputField(desc="a question about the data")
    feedback: str = dspy.InputField(desc="'none', or a previous query and the error it raised")
    sql: str = dspy.OutputField(desc="one read-only SELECT query")


class Text2SQL(dspy.Module):
    """Generate SQL for a question (``Predict`` or ``ChainOfThought``); output cleaned of fences and semicolons."""

    def __init__(self, chain_of_thought: bool = False) -> None:
        super().__init__()
        predictor = dspy.ChainOfThought if chain_of_thought else dspy.Predict
        self.generate = predictor(GenerateSQL)

    def forward(self, question: str, db_schema: str, dialect: str = "duckdb", feedback: str = NO_FEEDBACK,
                **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``sql`` field holds the cleaned query (at most ``MAX_TOKENS`` generated tokens,
        ``MAX_TOKENS_REASONING`` with chain of thought, unless ``config`` says otherwise)."""
        limit = MAX_TOKENS_REASONING if isinstance(self.generate, dspy.ChainOfThought) else MAX_TOKENS
        kwargs["config"] = {"max_tokens": limit, **(kwargs.get("config") or {})}
        out = self.generate(db_schema=db_schema, dialect=dialect, question=question, feedback=feedback, **kwargs)
        return dspy.Prediction(sql=clean_sql(out.sql))


def repair_feedback(failed_sql: str, error: str) -> str:
    """The feedback text for a failed query."""
    return f"This query failed:\n{failed_sql}\nError: {error}"


def checked_feedback(sql: str, problem: str) -> str:
    """The feedback text for a query that ran but whose result a check found wrong."""
    return f"This query ran, but {problem}:\n{sql}\nWrite a corrected query."


_FENCE = re.compile(r"```(?:sql|SQL)?\s*(.*?)```", re.DOTALL)
_MARKER = re.compile(r"\[\[\s*##\s*\w+\s*##\s*\]\]")


def clean_sql(text: str) -> str:
    """Strip Markdown fences, DSPy field markers left on the SQL line, whitespace and trailing semicolons."""
    match = _FENCE.search(text or "")
    sql = match.group(1) if match else (text or "")
    sql = _MARKER.split(sql)[0]
    return sql.strip().rstrip(";").strip()
