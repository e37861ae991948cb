"""Evidence: what the judge and the answer writer read, rendered from each result's own ``evidence()``."""

from __future__ import annotations

import pandas as pd

from workbench.agents.data_analysis import DataAnalysisResult
from workbench.agents.retrieval import RetrievalResult
from workbench.retrieval.context import Source
from workbench.supervisor.evidence import render_evidence, render_outcome
from workbench.supervisor.executor import AgentOutcome


def sql_result(frame: pd.DataFrame | None) -> DataAnalysisResult:
    return DataAnalysisResult("q", "SELECT 1", frame, "", "table", None, [], {}, {}, "key",
                              error="" if frame is not None else "boom", error_kind="" if frame is not None else "db")


def docs_result() -> RetrievalResult:
    source = Source(1, "a", "Policy", 0.9, "Returns within 30 days.", 0, 23)
    return RetrievalResult("returns policy", "[1] Policy (doc a)\nReturns within 30 days.", [source], 0.9, "hybrid",
                           {"total": 1.0})


def test_evidence_shows_sql_rows_sources_and_failures():
    frame = pd.DataFrame({"month": range(12), "orders": range(12)})
    text = render_evidence([
        AgentOutcome("data_analysis", "orders per month", result=sql_result(frame)),
        AgentOutcome("retrieval", "returns policy", result=docs_result(), substituted_for="web"),
        AgentOutcome("slow", "x", error="no answer within 1 s", error_kind="timeout"),
    ])
    assert "## data_analysis: orders per month\nSQL: SELECT 1" in text and "(12 rows in all; first 10 shown)" in text
    assert "[1] Policy (doc a)" in text and "standing in for web" in text and "Confidence 0.90" in text
    assert "FAILED (timeout): no answer within 1 s" in text
    assert render_evidence([]) == "(no agent returned anything)"
    assert "SQL failed (db): boom" in render_evidence([AgentOutcome("data_analysis", "q", result=sql_result(None))])


def test_a_plain_value_is_its_own_text_and_a_long_one_is_cut():
    assert render_outcome(AgentOutcome("calc", "2+2", result=4)) == "## calc: 2+2\n4"
    long = render_outcome(AgentOutcome("echo", "t", result="x" * 5000))
    assert long.endswith(" …") and len(long) < 1600
