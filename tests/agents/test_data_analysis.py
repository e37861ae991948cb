"""DataAnalysisAgent and `ask`: SQL, table, summary, chart, attempts, a stable cache key, and the result protocol."""

from __future__ import annotations

import asyncio
import sys

from common import ROOT, chat_answer, recorded_lm, sha256

from workbench.agents.data_analysis import DataAnalysisAgent, DataAnalysisTask, ask
from workbench.agents.result import AgentResult

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
    # two candidates (the greedy query and its sampled check), each first try repaired twice
    assert not result.ok and result.error_kind == "unsafe" and len(result.attempts) == 6
    assert "unsafe" in result._repr_html_()


# ask: the one-call front door -------------------------------------------------------------------------------------


def test_ask_answers_with_the_rows_of_the_generated_sql_and_records_its_trace(spider_db):
    lm, llama = recorded_lm(chat_answer(sql="```sql\nSELECT count(*) FROM singer;\n```"))
    answer = ask("How many singers do we have?", spider_db, lm=lm)
    assert answer.ok, answer.error
    assert answer.sql == "SELECT count(*) FROM singer"
    assert answer.frame.iloc[0, 0] == 6
    assert answer.tokens["prompt_tokens"] == 200  # the greedy query and the sampled one that checks it
    prompt = llama.prompt(0)
    assert "CREATE TABLE singer" in prompt and "sqlite" in prompt
    assert "Does this SQL return exactly what the question asks for" in llama.prompt(-1)
    kinds = [e.kind for e in answer.trace]
    assert kinds == ["lm_call", "lm_call", "lm_call", "sql"]  # the query, its sampled check, the LM's yes/no
    assert answer.trace.of_kind("lm_call")[-1].data["purpose"] == "score"
    assert [c.name for c in answer.checks if not c.passed] == []
    sql_event = answer.trace.of_kind("sql")[0]
    assert sql_event.name == "data_analysis" and sql_event.data["rows"] == 1 and sql_event.data["preview"] == [["6"]]


def test_ask_refuses_destructive_sql_and_leaves_the_file_untouched(spider_db):
    before = sha256(spider_db)
    lm, _ = recorded_lm(chat_answer(sql="DROP TABLE singer"))
    answer = ask("Remove all singers", spider_db, lm=lm)
    assert not answer.ok and answer.error_kind == "unsafe"
    assert "DROP" in answer.error
    assert sha256(spider_db) == before
    assert answer.trace.of_kind("sql")[0].data["ok"] is False


def test_sql_that_fails_at_run_time_is_reported_as_execution_error(spider_db):
    lm, _ = recorded_lm(chat_answer(sql="SELECT no_such_column FROM singer"))
    answer = ask("?", spider_db, lm=lm)
    assert answer.error_kind == "execution" and "no_such_column" in answer.error
    assert "no_such_column" in answer._repr_html_() and "no_such_column" in str(answer)


def test_an_answer_from_dspys_cache_says_so(spider_db):
    import uuid

    lm, llama = recorded_lm(chat_answer(sql="SELECT count(*) FROM singer"), cache=True)
    question = f"How many singers? {uuid.uuid4()}"
    first, second = ask(question, spider_db, lm=lm), ask(question, spider_db, lm=lm)
    # the greedy query and its sampled check once each; the yes/no check (not a DSPy call) once per agent
    assert len(llama.calls) == 4
    assert not first.cached and second.cached
    assert "from DSPy's cache" in str(second)
    assert [e.kind for e in second.trace] == ["cache_hit", "cache_hit", "lm_call", "sql"]


# the result protocol ----------------------------------------------------------------------------------------------


def test_the_result_is_an_agent_result_with_evidence_record_and_events(spider_db):
    lm, _ = recorded_lm(chat_answer(sql="SELECT name, age FROM singer ORDER BY age"))
    result = DataAnalysisAgent(spider_db, lm=lm).run("Singers by age")
    assert isinstance(result, AgentResult)
    evidence = result.evidence()
    assert evidence.startswith("SQL: SELECT name, age FROM singer ORDER BY age\nResult:\n")
    assert "(6 rows in all" not in evidence  # all six rows fit in the evidence
    record = result.record()
    assert record["type"] == "table" and record["n_rows"] == 6 and record["columns"] == ["Name", "Age"]
    import json

    assert json.loads(json.dumps(record)) == record  # checkpointable as it is
    [(kind, data)] = result.trace_events()
    assert kind == "sql" and data["rows"] == 6 and len(data["preview"]) == 5


def test_a_failed_result_says_why_in_its_evidence(spider_db):
    lm, _ = recorded_lm(chat_answer(sql="DELETE FROM singer"))
    result = DataAnalysisAgent(spider_db, lm=lm, options=None).run("Delete them")
    assert not result.ok
    assert result.evidence().startswith("SQL failed (unsafe): ")
    assert "rows" not in result.record()
