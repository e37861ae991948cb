"""Session state: agent outcomes become plain, checkpointable records through the result protocol."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from workbench.agents.data_analysis import DataAnalysisResult
from workbench.supervisor.executor import AgentOutcome
from workbench.supervisor.state import merge_dicts, outcome_record, result_key


def table(frame: pd.DataFrame | None, error: str = "") -> DataAnalysisResult:
    return DataAnalysisResult("q", "SELECT * FROM t", frame, "summary", "bar", None, [], {}, {}, "key",
                              error=error, error_kind="execution" if error else "")


def test_a_sql_result_is_recorded_with_its_first_rows_as_plain_json():
    frame = pd.DataFrame({"year": np.arange(60, dtype=np.int64), "when": pd.Timestamp("2007-01-01"),
                          "gap": [None] * 60})
    record = outcome_record(AgentOutcome("data_analysis", "q", result=table(frame), attempts=1), 0, 1)
    assert record["ok"] and record["agent"] == "data_analysis" and (record["iteration"], record["step"]) == (0, 1)
    payload = record["payload"]
    assert payload["type"] == "table" and payload["n_rows"] == 60 and len(payload["rows"]) == 50
    assert payload["rows"][0] == [0, "2007-01-01 00:00:00", None]
    assert json.loads(json.dumps(record)) == record
    assert record["evidence"].startswith("## data_analysis: q\nSQL: SELECT * FROM t")


def test_a_result_that_carries_its_own_failure_is_recorded_as_not_ok():
    record = outcome_record(AgentOutcome("data_analysis", "q", result=table(None, "no such table: t")), 1, 0)
    assert not record["ok"] and record["error_kind"] == "result" and record["error"] == "no such table: t"
    assert "rows" not in record["payload"]


def test_an_agent_that_failed_has_no_payload_and_keeps_its_error():
    record = outcome_record(AgentOutcome("slow", "q", error="no answer within 1 s", error_kind="timeout"), 0, 0)
    assert not record["ok"] and record["error_kind"] == "timeout" and record["payload"] == {}
    assert record["evidence"] == "## slow: q\nFAILED (timeout): no answer within 1 s"


def test_a_plain_value_is_recorded_as_text():
    record = outcome_record(AgentOutcome("calc", "2+2", result={"sum": 4}), 0, 0)
    assert record["ok"] and record["payload"] == {"type": "text", "text": "{'sum': 4}"}


def test_keys_and_the_results_reducer():
    assert result_key(1, 0, "retrieval") == "i1.s0.retrieval"
    assert merge_dicts({"a": 1, "b": 2}, {"b": 3, "c": 4}) == {"a": 1, "b": 3, "c": 4}
