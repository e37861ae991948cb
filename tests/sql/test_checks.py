"""Checks of generated SQL without an LM: shape, agreement, coverage, on a real Spider database."""

from __future__ import annotations

import pytest

from workbench.sql.checks import RULE_SIGNALS, expected_shape, sql_checks
from workbench.sql.database import Database
from workbench.sql.text2sql import SQLAttempt, SQLCandidate, SQLOutcome, choose


def outcome(db: Database, question: str, *sqls: str, stage: str = "generate") -> SQLOutcome:
    """An outcome whose candidates are these queries, run on ``db`` (one that fails records its error)."""
    out = SQLOutcome(question)
    for sql in sqls:
        attempt = SQLAttempt(sql, stage)
        try:
            result = db.execute(sql)
        except Exception as exc:
            attempt.error, attempt.error_kind, result = str(exc), "execution", None
        out.attempts.append(attempt)
        out.candidates.append(SQLCandidate(sql, result))
    return choose(out)


@pytest.mark.parametrize(("question", "shape"), [
    ("How many singers do we have?", ("value", 1)),
    ("What is the average age of all singers?", ("value", 1)),
    ("List the top 3 stadiums by capacity.", ("rows", 3)),
    ("Which five countries had the highest life expectancy in 2007?", ("rows", 5)),
    ("How many singers are from each country?", ("groups", None)),
    ("Show the names of singers ordered by age.", ("any", None)),
])
def test_the_question_says_what_shape_of_result_it_wants(question, shape):
    assert expected_shape(question) == shape


def test_a_right_count_passes_every_check(spider_db):
    db = Database.open(spider_db)
    checks = {c.name: c for c in sql_checks("How many singers do we have?", db, outcome(
        db, "How many singers do we have?", "SELECT count(*) FROM singer", "SELECT count(*) FROM singer"))}
    assert list(checks) == list(RULE_SIGNALS)
    assert all(c.passed for c in checks.values()), checks


def test_a_count_answered_with_many_rows_fails_the_shape_check_and_says_so(spider_db):
    db = Database.open(spider_db)
    question = "How many singers do we have?"
    checks = {c.name: c for c in sql_checks(question, db, outcome(db, question, "SELECT name FROM singer"))}
    assert not checks["shape"].passed and "one value" in checks["shape"].note
    assert checks["agreement"].value == 0.5  # one candidate: agreement unknown


def test_candidates_that_disagree_fail_agreement(spider_db):
    db = Database.open(spider_db)
    question = "What is the average age of all singers?"
    out = outcome(db, question, "SELECT avg(age) FROM singer", "SELECT max(age) FROM singer")
    checks = {c.name: c for c in sql_checks(question, db, out)}
    assert checks["agreement"].value == 0.0 and "1 of 1" in checks["agreement"].note
    assert out.sql == "SELECT avg(age) FROM singer"  # a tie keeps the greedy query


def test_a_query_that_ignores_a_column_the_question_names_loses_coverage(spider_db):
    db = Database.open(spider_db)
    question = "What is the average age of all singers?"
    checks = {c.name: c for c in sql_checks(question, db, outcome(db, question, "SELECT count(*) FROM singer"))}
    assert checks["coverage"].value < 1 and "age" in checks["coverage"].note


def test_sql_that_never_ran_fails_with_its_error(spider_db):
    db = Database.open(spider_db)
    question = "How many singers do we have?"
    checks = {c.name: c for c in sql_checks(question, db, outcome(db, question, "SELECT count(*) FROM singers"))}
    assert checks["ran"].value == 0 and "did not run" in checks["ran"].note and "singers" in checks["ran"].note


def test_an_empty_result_loses_the_vote_to_one_with_rows(spider_db):
    db = Database.open(spider_db)
    question = "Which singers are from France?"
    out = outcome(db, question, "SELECT name FROM singer WHERE country = 'FR'",
                  "SELECT name FROM singer WHERE country = 'France'")
    assert out.sql.endswith("'France'") and len(out.result.frame) > 0
