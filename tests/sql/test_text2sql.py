"""The text2sql pipeline: repair from errors, self-consistency voting, and the switches that control them."""

from __future__ import annotations

from common import chat_answer, recorded_lm

from workbench.sql.database import Database
from workbench.sql.text2sql import SQLWriter, Text2SQLOptions


def test_a_failing_query_is_repaired_from_its_error(spider_db):
    lm, llama = recorded_lm([chat_answer(sql="SELECT nme FROM singer"), chat_answer(sql="SELECT name FROM singer")])
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(repair_attempts=2), lm=lm)("Singer names?")
    assert outcome.ok and outcome.sql == "SELECT name FROM singer"
    assert [a.stage for a in outcome.attempts] == ["generate", "repair"]
    assert outcome.attempts[0].error_kind == "execution"
    repair_prompt = llama.prompt(1)
    assert "SELECT nme FROM singer" in repair_prompt and "nme" in outcome.attempts[0].error
    assert "This query failed" in repair_prompt


def test_repair_can_be_switched_off(spider_db):
    lm, llama = recorded_lm([chat_answer(sql="SELECT nme FROM singer"), chat_answer(sql="SELECT name FROM singer")])
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(repair_attempts=0), lm=lm)("Singer names?")
    assert not outcome.ok and outcome.error_kind == "execution"
    assert len(llama.calls) == 1


def test_repairs_stop_after_the_bound(spider_db):
    lm, llama = recorded_lm(chat_answer(sql="SELECT nme FROM singer"))
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(repair_attempts=2), lm=lm)("Singer names?")
    assert not outcome.ok and len(outcome.attempts) == 3 and len(llama.calls) == 3


def test_self_consistency_picks_the_result_most_candidates_agree_on(spider_db):
    answers = [
        chat_answer(sql="SELECT max(Age) FROM singer"),   # greedy candidate: a different answer
        chat_answer(sql="SELECT count(*) FROM singer"),
        chat_answer(sql="SELECT COUNT(Singer_ID) FROM singer"),  # same rows as the second
    ]
    lm, llama = recorded_lm(answers)
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(candidates=3, temperature=0.8), lm=lm)("How many?")
    assert outcome.sql == "SELECT count(*) FROM singer" and outcome.votes == 2
    assert [c["temperature"] for c in llama.calls] == [0.0, 0.8, 0.8]  # first greedy, the rest sampled


def test_sample_values_appear_in_the_prompt_only_when_switched_on(spider_db):
    lm, llama = recorded_lm(chat_answer(sql="SELECT 1"))
    db = Database.open(spider_db)
    SQLWriter(db, Text2SQLOptions(sample_values=2), lm=lm)("q")
    SQLWriter(db, Text2SQLOptions(sample_values=0), lm=lm)("q")
    assert "-- e.g. 'Joe Sharp', 'Timbaland'" in llama.prompt(0)
    assert "-- e.g." not in llama.prompt(1)


def test_repair_feedback_names_the_table_that_has_a_missing_column(spider_db):
    lm, llama = recorded_lm([
        chat_answer(sql="SELECT Country FROM concert"),
        chat_answer(sql="SELECT Country FROM singer"),
    ])
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(), lm=lm)("Countries?")
    assert outcome.ok
    assert "Column country is in table singer." in llama.prompt(1)


def test_repair_feedback_spells_out_the_join_to_the_table_with_the_column(tmp_path):
    import shutil

    from common import SPIDER

    db_path = tmp_path / "poker_player.sqlite"
    shutil.copy(SPIDER / "database" / "poker_player" / "poker_player.sqlite", db_path)
    lm, llama = recorded_lm([chat_answer(sql="SELECT Name FROM poker_player"),
                             chat_answer(sql="SELECT T1.Name FROM people AS T1 JOIN poker_player AS T2 "
                                             "ON T1.People_ID = T2.People_ID")])
    outcome = SQLWriter(Database.open(db_path), Text2SQLOptions(), lm=lm)("Names of poker players?")
    assert outcome.ok
    assert "Join poker_player with people on poker_player.People_ID = people.People_ID." in llama.prompt(1)


def test_a_repair_that_repeats_a_failed_query_is_followed_by_a_sampled_one(spider_db):
    lm, llama = recorded_lm(chat_answer(sql="SELECT nme FROM singer"))
    SQLWriter(Database.open(spider_db), Text2SQLOptions(repair_attempts=2, temperature=0.9), lm=lm)("Names?")
    assert [c["temperature"] for c in llama.calls] == [0.0, 0.0, 0.9]


def test_a_repair_that_changes_the_query_stays_greedy(spider_db):
    lm, llama = recorded_lm([chat_answer(sql="SELECT nme FROM singer"), chat_answer(sql="SELECT nam FROM singer"),
                             chat_answer(sql="SELECT name FROM singer")])
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(repair_attempts=2), lm=lm)("Names?")
    assert outcome.ok and [c["temperature"] for c in llama.calls] == [0.0, 0.0, 0.0]


def test_a_column_taken_through_the_wrong_alias_is_requalified_without_the_lm(spider_db):
    wrong = ("SELECT T2.Song_Name FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.Singer_ID = T2.Singer_ID "
             "WHERE T1.Age > 30")
    lm, llama = recorded_lm(chat_answer(sql=wrong))
    outcome = SQLWriter(Database.open(spider_db), Text2SQLOptions(), lm=lm)("Songs by singers over 30?")
    assert outcome.ok and len(llama.calls) == 1
    assert [a.stage for a in outcome.attempts] == ["generate", "requalify"]
    assert "T1.Song_Name" in outcome.sql


def test_requalifying_never_touches_a_correct_or_ambiguous_query(spider_db):
    from workbench.sql.text2sql import requalify_columns

    db = Database.open(spider_db)
    assert requalify_columns("SELECT T1.Name FROM singer AS T1", db) is None
    # Stadium_ID is in both stadium and concert: no single owner, so no change
    assert requalify_columns("SELECT T1.Stadium_ID FROM singer AS T1 JOIN concert AS T2 JOIN stadium AS T3", db) is None
