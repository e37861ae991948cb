"""DataAnalysisAgent: async execute returns SQL, table, summary, chart, attempts and a stable cache key."""

from __future__ import annotations

import asyncio
import sys

from conftest import ROOT, chat_answer, recorded_lm

from workbench.agents.data_analysis import DataAnalysisAgent, DataAnalysisTask

sys.path.insert(0, str(ROOT / "scripts"))
from build_demo_db import build


def test_execute_answers_with_table_chart_and_timings(tmp_path):
    db = tmp_path / "demo.duckdb"
    build(db)
    sql = "SELECT continent, count(*) AS n FROM countries GROUP BY continent ORDER BY n DESC"
    lm, _ = recorded_lm(chat_answer(sql=sql))
    agent = DataAnalysisAgent(db, lm=lm)
    result = asyncio.run(agent.execute(DataAnalysisTask("How many countries per continent?")))
    assert result.ok and result.sql == sql
    assert result.frame.iloc[0].tolist() == ["Africa", 52]
    assert result.chart_kind == "bar" and result.figure is not None
    assert result.summary.startswith("5 rows")
    assert set(result.timings) == {"sql", "chart", "total"}
    html = result._repr_html_()
    assert "Africa" in html and "plotly" in html
    assert agent.health()["ok"]


def test_cache_key_ignores_spacing_and_case_but_not_the_question(spider_db):
    lm, _ = recorded_lm(chat_answer(sql="SELECT 1"))
    agent = DataAnalysisAgent(spider_db, lm=lm)
    assert agent.cache_key("How many  singers?") == agent.cache_key("how many singers?")
    assert agent.cache_key("How many singers?") != agent.cache_key("How many concerts?")


def test_a_failed_question_keeps_its_attempts_and_error(spider_db):
    lm, _ = recorded_lm(chat_answer(sql="DROP TABLE singer"))
    result = DataAnalysisAgent(spider_db, lm=lm).run("Remove the singers")
    assert not result.ok and result.error_kind == "unsafe" and len(result.attempts) == 3
    assert "unsafe" in result._repr_html_()
