"""Schema linking keeps the tables a question needs when the schema is over budget."""

from __future__ import annotations

from common import DATA, SPIDER

from workbench.evaluation.linking_eval import evaluate_linking, gold_tables
from workbench.sql.database import Database
from workbench.sql.linking import link_schema, words


def test_words_split_names_and_fold_plurals():
    assert words("Singer_ID and songReleaseYear of the singers") == {"singer", "id", "song", "release", "year"}


def test_a_schema_within_budget_is_kept_whole(spider_db):
    db = Database.open(spider_db)
    text, kept = link_schema(db, "How many singers?", token_budget=10_000)
    assert text == db.schema_text(3) and len(kept) == 4


def test_over_budget_keeps_the_matching_table_and_its_foreign_key_targets(spider_db):
    db = Database.open(spider_db)
    text, kept = link_schema(db, "Show the name of each concert and its theme", token_budget=150)
    assert kept[0] == "concert" and "stadium" in kept  # concert.Stadium_ID references stadium
    assert "CREATE TABLE singer (" not in text


def test_gold_tables_ignore_ctes():
    assert gold_tables("WITH t AS (SELECT * FROM singer) SELECT * FROM t JOIN concert") == {"singer", "concert"}


def test_linking_coverage_is_measured_on_multi_table_databases():
    spider = evaluate_linking(SPIDER / "questions.json", SPIDER / "database", fraction=0.5)
    assert spider.n == 319 and spider.coverage >= 0.8  # measured 0.83
    assert spider["schema_kept"] == spider.schema_kept < 0.75  # still reads as the dict it was
    kaggle = evaluate_linking(sorted((DATA / "kaggledbqa").glob("*_fewshot.json")), DATA / "kaggledbqa" / "database")
    assert kaggle["n"] == 9  # only StudentMathScore has several tables
