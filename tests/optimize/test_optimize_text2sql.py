"""Optimising text2sql: split by database, the execution metric, and the whole command with a scripted LM."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
from common import SPIDER, RecordedLlama, chat_answer

from workbench.evaluation.spider import load_questions
from workbench.optimize.text2sql import ExecutionMetric, optimize_text2sql, split_by_database, to_dspy
from workbench.programs.compiled import load_compiled
from workbench.programs.text2sql import VERSION, Text2SQL

QUESTIONS = load_questions(SPIDER / "questions.json")


def test_split_by_database_never_puts_a_database_on_both_sides():
    train, held = split_by_database(QUESTIONS, eval_fraction=0.5, seed=0)
    assert not {e.db_id for e in train} & {e.db_id for e in held}
    assert len(train) + len(held) == len(QUESTIONS)
    assert len(held) >= 0.5 * len(QUESTIONS)
    assert split_by_database(QUESTIONS, seed=0) == (train, held)  # the seed fixes it
    train, held = split_by_database(QUESTIONS, eval_dbs=["singer"])
    assert {e.db_id for e in held} == {"singer"} and len(train) == len(QUESTIONS) - 30


def test_split_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="'nope'"):
        split_by_database(QUESTIONS, eval_dbs=["nope"])
    with pytest.raises(ValueError, match="at least two databases"):
        split_by_database([e for e in QUESTIONS if e.db_id == "singer"])


def test_execution_metric_scores_by_result_and_explains_failures_for_gepa():
    import dspy

    metric = ExecutionMetric(SPIDER / "database")
    example = to_dspy([e for e in QUESTIONS if e.db_id == "singer"][:1], metric)[0]
    assert metric(example, dspy.Prediction(sql=example.sql)) == 1.0
    assert metric(example, dspy.Prediction(sql="SELECT count(*) + 1 FROM singer")) == 0.0
    scored = metric(example, dspy.Prediction(sql="SELECT nonsense FROM singer"), None, "generate", [])
    assert scored.score == 0.0 and "failed" in scored.feedback and example.sql in scored.feedback
    with pytest.raises(Exception, match=r"(?i)read-only|not allowed|unsafe"):
        metric.database("singer").execute("DELETE FROM singer")


def test_training_examples_show_only_the_tables_their_sql_reads():
    metric = ExecutionMetric(SPIDER / "database")
    item = next(e for e in QUESTIONS if e.db_id == "concert_singer" and "JOIN" not in e.query.upper()
                and "singer" in e.query.lower() and "concert" not in e.query.lower())
    compact, = to_dspy([item], metric)
    full, = to_dspy([item], metric, full_schema=True)
    assert "CREATE TABLE singer" in compact.db_schema and "CREATE TABLE concert" not in compact.db_schema
    assert "CREATE TABLE concert" in full.db_schema


class OracleLlama(RecordedLlama):
    """Answers each question with its gold SQL (the question is the last one in the prompt), but only when the
    prompt carries demonstrations: zero-shot it answers ``SELECT 1``, so only a program with demos scores."""

    def __init__(self, gold: dict[str, str]) -> None:
        super().__init__("")
        self.gold = gold

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        prompt = bytes(kwargs["prompt"]).decode()
        questions = [q for q in re.findall(r"\[\[ ## question ## \]\]\n(.*)\n", prompt) if q != "{question}"]
        sql = self.gold.get(questions[-1], "SELECT 1") if len(questions) > 1 else "SELECT 1"
        self.texts = [chat_answer(sql=sql)]
        self.calls.clear()
        return super().create_completion(**kwargs)


def test_optimize_runs_end_to_end_and_saves_a_program_that_reloads_with_its_demos(tmp_path, settings):
    import dspy

    from workbench.llama_engine import AsyncLlamaCppEngine, LlamaCppEngine

    db_dir = tmp_path / "db"
    for db_id in ("singer", "poker_player", "battle_death"):
        shutil.copytree(SPIDER / "database" / db_id, db_dir / db_id)
    items = [e for e in QUESTIONS if e.db_id in ("singer", "poker_player", "battle_death")]
    (tmp_path / "q.json").write_text(json.dumps([{"db_id": e.db_id, "question": e.question, "query": e.query,
                                                  "hardness": e.hardness} for e in items]))
    engine = LlamaCppEngine("oracle.gguf", llama=OracleLlama({e.question: e.query for e in items}))
    lm = dspy.LM("local/oracle", engine=engine, async_engine=AsyncLlamaCppEngine(engine), cache=False,
                 temperature=0.0, max_tokens=256)
    printed: list[str] = []

    summary = optimize_text2sql(tmp_path / "q.json", db_dir, tmp_path / "out", lm=lm, eval_dbs=["battle_death"],
                                eval_limit=4, val_size=3, demos=2, candidates=1, recheck=False,
                                save_to=tmp_path / "compiled", settings=settings, log=False, progress=False,
                                echo=printed.append)

    assert summary["eval_dbs"] == ["battle_death"] and "battle_death" not in summary["train_dbs"]
    assert summary["ex_zero_shot"] == 0.0 and summary["ex_optimized"] == 1.0  # right only with demos
    assert any("about" in line and "LM calls" in line for line in printed)  # the projection came first
    train = json.loads((tmp_path / "out" / "train.json").read_text())
    held = json.loads((tmp_path / "out" / "eval.json").read_text())
    assert {q["db_id"] for q in train} == {"singer", "poker_player"} and {q["db_id"] for q in held} == {
        "battle_death"}
    program = Text2SQL()
    meta = load_compiled(program, summary["compiled"], program="text2sql", version=VERSION, variant="predict")
    assert meta.lm == "local/oracle" and meta.optimizer == "bootstrap" and meta.baseline == 0.0
    assert meta.extra["eval_dbs"] == ["battle_death"]
    assert len(program.generate.demos) == summary["demos"][0] == 2
    assert all(d["db_id"] in ("singer", "poker_player") for d in program.generate.demos)  # none from held-out
