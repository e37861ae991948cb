"""Text2SQL: a question and a database schema in, one SQL query out (a DSPy program).

This is the first, plain version (``dspy.Predict`` over a typed signature);
schema linking, repair and self-consistency come with the DataAnalysisAgent.
"""

from __future__ import annotations

import re
from typing import Any

import dspy

VERSION = "text2sql-predict-v1"


class GenerateSQL(dspy.Signature):
    """Write one SQL query, in the given dialect, that answers the question over the schema.
    Use only tables and columns in the schema. Return the SQL alone, without explanation."""

    question: str = dspy.InputField(desc="a question about the data")
    db_schema: str = dspy.InputField(desc="CREATE TABLE statements of the database")
    dialect: str = dspy.InputField(desc="SQL dialect, e.g. duckdb or sqlite")
    sql: str = dspy.OutputField(desc="one read-only SELECT query")


class Text2SQL(dspy.Module):
    """Generate SQL for a question; the output is cleaned of code fences and trailing semicolons."""

    def __init__(self) -> None:
        super().__init__()
        self.generate = dspy.Predict(GenerateSQL)

    def forward(self, question: str, db_schema: str, dialect: str = "duckdb", **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``sql`` field holds the cleaned query."""
        out = self.generate(question=question, db_schema=db_schema, dialect=dialect, **kwargs)
        return dspy.Prediction(sql=clean_sql(out.sql))


_FENCE = re.compile(r"```(?:sql|SQL)?\s*(.*?)```", re.DOTALL)


def clean_sql(text: str) -> str:
    """Strip Markdown fences, surrounding whitespace and trailing semicolons from model output."""
    match = _FENCE.search(text or "")
    sql = match.group(1) if match else (text or "")
    return sql.strip().rstrip(";").strip()
