"""RunResult: the answer with its evidence, live in the process that ran it and rebuilt from the session store."""

from __future__ import annotations

import json

import pandas as pd

from workbench.agents.base import FunctionAgent
from workbench.agents.data_analysis import DataAnalysisResult
from workbench.supervisor.evaluator import Judgement
from workbench.supervisor.supervisor import Supervisor

FRAME = pd.DataFrame({"continent": ["Africa", "Asia"], "countries": [52, 33]})


async def sql(task: str) -> DataAnalysisResult:
    return DataAnalysisResult(task, "SELECT continent, count(*) FROM countries GROUP BY 1", FRAME, "2 rows", "bar",
                              None, [], {"sql": 0.1}, {}, "key")


def make(sessions) -> Supervisor:
    return Supervisor([FunctionAgent(sql, name="data_analysis", description="SQL"),
                       FunctionAgent(lambda t: f"notes on {t}", name="retrieval", description="notes")],
                      planner="router", judge=lambda q, r: Judgement(0.9, "fine", {"data_analysis": 0.9}, "rule"),
                      writer=lambda q, e: "Africa has 52 countries and Asia 33.", sessions=sessions)


def test_live_evidence_is_the_agents_own_result_and_plain_values_come_back_as_themselves(tmp_path):
    result = make(tmp_path / "s.db").run("How many countries per continent, and what do studies say?")
    by_agent = {r["agent"]: key for key, r in result.records.items()}
    assert result.evidence(by_agent["data_analysis"]).frame is FRAME
    assert result.evidence(by_agent["retrieval"]).startswith("notes on ")
    assert result.ok and result.score == 0.9 and result.agents == ["data_analysis", "retrieval"]
    assert json.loads(json.dumps(result.to_dict()))["answer"] == "Africa has 52 countries and Asia 33."
    assert "score=0.90" in repr(result)


def test_a_reloaded_session_rebuilds_tables_from_the_records(tmp_path):
    session = make(tmp_path / "s.db").run("How many countries per continent, and what do studies say?").session_id
    reloaded = make(tmp_path / "s.db").result(session)
    by_agent = {r["agent"]: key for key, r in reloaded.records.items()}
    table = reloaded.evidence(by_agent["data_analysis"])
    assert isinstance(table, pd.DataFrame) and table.values.tolist() == [["Africa", 52], ["Asia", 33]]
    assert reloaded.evidence(by_agent["retrieval"]).startswith("notes on ")
    page = reloaded._repr_html_()
    assert "SELECT continent" in page and "Africa" in page and "plotly" in page  # the chart is redrawn
    assert "(first" not in page and reloaded.finished


def test_lm_calls_lists_only_lm_answers(tmp_path):
    result = make(tmp_path / "s.db").run("How many countries per continent?")
    assert result.lm_calls().empty  # scripted components: no LM answered
