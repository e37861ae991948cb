"""Text2SQL prompts (DSPy signatures and modules): generate SQL, and repair SQL that failed.

The schema comes first in every prompt so that consecutive questions on one
database share a long prompt prefix, which the local engine reuses.
"""

from __future__ import annotations

import re
from typing import Any

import dspy

VERSION = "text2sql-v2"


class GenerateSQL(dspy.Signature):
    """You are an expert data analyst. Write one SQL query in the given dialect that answers the question.
    Use only the tables and columns in the schema; join tables through their foreign keys.
    Select exactly the columns the question asks for, in the order asked, and nothing else."""

    db_schema: str = dspy.InputField(desc="CREATE TABLE statements, with example values in comments")
    dialect: str = dspy.InputField(desc="SQL dialect, e.g. sqlite or duckdb")
    question: str = dspy.InputField(desc="a question about the data")
    sql: str = dspy.OutputField(desc="one read-only SELECT query")


class RepairSQL(dspy.Signature):
    """The SQL query below failed on the database. Write a corrected SQL query in the given dialect
    that answers the question. Use only the tables and columns in the schema."""

    db_schema: str = dspy.InputField(desc="CREATE TABLE statements, with example values in comments")
    dialect: str = dspy.InputField(desc="SQL dialect, e.g. sqlite or duckdb")
    question: str = dspy.InputField(desc="a question about the data")
    failed_sql: str = dspy.InputField(desc="the query that failed")
    error: str = dspy.InputField(desc="the error it raised")
    sql: str = dspy.OutputField(desc="one corrected read-only SELECT query")


class Text2SQL(dspy.Module):
    """Generate SQL for a question (``Predict`` or ``ChainOfThought``); output cleaned of fences and semicolons."""

    def __init__(self, chain_of_thought: bool = False) -> None:
        super().__init__()
        predictor = dspy.ChainOfThought if chain_of_thought else dspy.Predict
        self.generate = predictor(GenerateSQL)

    def forward(self, question: str, db_schema: str, dialect: str = "duckdb", **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``sql`` field holds the cleaned query."""
        out = self.generate(db_schema=db_schema, dialect=dialect, question=question, **kwargs)
        return dspy.Prediction(sql=clean_sql(out.sql))


class RepairSQLProgram(dspy.Module):
    """Rewrite a failed query given the error message."""

    def __init__(self) -> None:
        super().__init__()
        self.repair = dspy.Predict(RepairSQL)

    def forward(self, question: str, db_schema: str, dialect: str, failed_sql: str, error: str,
                **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``sql`` field holds the cleaned, corrected query."""
        out = self.repair(db_schema=db_schema, dialect=dialect, question=question, failed_sql=failed_sql,
                          error=error, **kwargs)
        return dspy.Prediction(sql=clean_sql(out.sql))


_FENCE = re.compile(r"```(?:sql|SQL)?\s*(.*?)```", re.DOTALL)


def clean_sql(text: str) -> str:
    """Strip Markdown fences, surrounding whitespace and trailing semicolons from model output."""
    match = _FENCE.search(text or "")
    sql = match.group(1) if match else (text or "")
    return sql.strip().rstrip(";").strip()
