"""The real local model (0.5B, the fast one) on real Spider data: a small fixed sample."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

import pytest
from common import SPIDER

from workbench.agents.data_analysis import ask
from workbench.demo import DEMO_DB, DEMO_QUESTIONS
from workbench.lm import load_lm

pytestmark = pytest.mark.real_model

REGRESSION_EX_05B = 0.50  # measured 0.55 (11 of 20): zero-shot on 2026-11-25, compiled program on 2026-11-26


def _gold_rows(db_path, sql: str) -> Counter:
    with sqlite3.connect(db_path) as con:
        return Counter(con.execute(sql).fetchall())


def test_05b_answers_a_spider_counting_question_correctly(spider_db):
    item = json.loads((SPIDER / "questions.json").read_text())[0]
    assert item["question"] == "How many singers do we have?"  # the fixed sample
    answer = ask(item["question"], spider_db, lm=load_lm("qwen2.5-coder-0.5b"))
    assert answer.ok, answer.error
    predicted = Counter(map(tuple, answer.frame.itertuples(index=False)))
    assert predicted == _gold_rows(spider_db, item["query"])


def test_answers_do_not_depend_on_which_question_came_before():
    """Prompt-cache reuse must not change greedy output. Without batch-aligned prefix reuse the 1.5B
    model answered the first demo question differently after the second one (a wrong join)."""
    lm = load_lm("qwen2.5-coder-1.5b", cache=False)
    first = ask(DEMO_QUESTIONS[0], DEMO_DB, lm=lm).sql
    ask(DEMO_QUESTIONS[1], DEMO_DB, lm=lm)
    assert ask(DEMO_QUESTIONS[0], DEMO_DB, lm=lm).sql == first


def test_text2sql_regression_on_20_fixed_spider_questions(tmp_path, settings):
    """CI-sized regression: 20 fixed visible Spider questions (seed 0) on the 0.5B model.

    The threshold sits just under the measured figure (see README); a drop below it is a regression.
    """
    from workbench.evaluation.text2sql_eval import evaluate_text2sql

    summary = evaluate_text2sql(SPIDER / "questions.json", SPIDER / "database", tmp_path, lm="qwen2.5-coder-0.5b",
                                limit=20, seed=0, duckdb=False, cache=False, settings=settings, log=False,
                                progress=False)
    assert summary["n"] == 20
    assert summary["ex"] >= REGRESSION_EX_05B, summary


SHOWCASE = "Which five countries had the highest life expectancy in 2007?"
LIFE_EXPECTANCY_2007 = (("Japan", 82.603), ("Hong Kong, China", 82.208), ("Iceland", 81.757),
                        ("Switzerland", 81.701), ("Australia", 81.235))  # data/demo.duckdb, checked by hand


def test_the_readme_showcase_names_all_five_countries_with_their_figures():
    """The supervisor end to end on the 1.5B model (router planner): the answer must name every country of the
    true top five with its figure, and nothing the data does not hold (the faithfulness checker, against the
    true rows)."""
    import re

    from workbench.agents.data_analysis import DataAnalysisAgent
    from workbench.supervisor.faithfulness import Table, check_answer
    from workbench.supervisor.supervisor import Supervisor

    lm = load_lm("qwen2.5-coder-1.5b", cache=False)
    result = Supervisor([DataAnalysisAgent(DEMO_DB, lm=lm)], lm="qwen2.5-coder-1.5b", planner="router",
                        sessions=":memory:").run(SHOWCASE)
    truth = Table(("country", "life_expectancy"), LIFE_EXPECTANCY_2007)
    report = check_answer(result.answer, "", SHOWCASE, tables=[truth])
    assert report.ok, (result.answer, str(report))
    stated = [float(x) for x in re.findall(r"\d+\.\d+", result.answer)]
    assert all(any(abs(x - value) < 0.05 for x in stated) for _, value in LIFE_EXPECTANCY_2007), result.answer
    assert result.faithfulness["faithful"] and result.score is not None


def test_saved_prompt_prefixes_give_the_same_greedy_sql_as_fresh_evaluation():
    """The prefix state cache (``workbench.prefix_cache``) restores evaluated prefixes of other prompts; greedy
    output must be byte-identical to evaluating each prompt on an empty context."""
    from workbench.agents.data_analysis import DataAnalysisAgent
    from workbench.config import Settings
    from workbench.sql.text2sql import Text2SQLOptions
    from workbench.tracing import Trace, use_trace

    spider_db = next((SPIDER / "database" / "concert_singer").glob("*.sqlite"))
    calls = [(DEMO_DB, DEMO_QUESTIONS[0]), (spider_db, "How many singers do we have?"),
             (DEMO_DB, DEMO_QUESTIONS[2]), (spider_db, "What is the average age of all singers?")]

    def answers(prefix_cache_mb: int, slot: str, fresh: bool) -> tuple[list[str], int]:
        lm = load_lm("qwen2.5-coder-1.5b", cache=False, slot=slot,
                     settings=Settings(lm_prefix_cache_mb=prefix_cache_mb))
        agents = {db: DataAnalysisAgent(db, lm=lm, verify=False, options=Text2SQLOptions())
                  for db in (DEMO_DB, spider_db)}
        trace, out = Trace("prefix"), []
        with use_trace(trace):
            for db, question in calls:
                if fresh:
                    lm.engine.prefix_cache.prepare(lm.engine._model()[0], [-1])  # nothing of the last prompt kept
                out.append(agents[db].writer(question).sql)
        return out, sum(int(e.data.get("cached_tokens") or 0) for e in trace.of_kind("lm_call"))

    cached, reused = answers(512, "prefix-on", fresh=False)
    fresh, none = answers(0, "prefix-off", fresh=True)
    assert cached == fresh
    assert none == 0 and reused > 500  # the second visit to each database restored its schema prefix
