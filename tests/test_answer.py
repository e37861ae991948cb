"""Ask: question -> DSPy text2sql -> guarded execution, with recorded model answers."""

from __future__ import annotations

from conftest import chat_answer, recorded_lm, sha256

from workbench.answer import ask


def test_answers_with_the_rows_of_the_generated_sql(spider_db):
    lm, llama = recorded_lm(chat_answer(sql="```sql\nSELECT count(*) FROM singer;\n```"))
    answer = ask("How many singers do we have?", spider_db, lm=lm)
    assert answer.ok, answer.error
    assert answer.sql == "SELECT count(*) FROM singer"
    assert answer.frame.iloc[0, 0] == 6
    assert answer.tokens["prompt_tokens"] == 100
    prompt = llama.prompt()
    assert "CREATE TABLE singer" in prompt and "sqlite" in prompt


def test_destructive_sql_from_the_model_is_refused_and_the_file_is_untouched(spider_db):
    before = sha256(spider_db)
    lm, _ = recorded_lm(chat_answer(sql="DROP TABLE singer"))
    answer = ask("Remove all singers", spider_db, lm=lm)
    assert not answer.ok and answer.error_kind == "unsafe"
    assert "DROP" in answer.error
    assert sha256(spider_db) == before


def test_sql_that_fails_at_run_time_is_reported_as_execution_error(spider_db):
    lm, _ = recorded_lm(chat_answer(sql="SELECT no_such_column FROM singer"))
    answer = ask("?", spider_db, lm=lm)
    assert answer.error_kind == "execution" and "no_such_column" in answer.error
    assert "no_such_column" in answer._repr_html_()


def test_an_answer_from_dspys_cache_says_so(spider_db):
    import uuid

    lm, llama = recorded_lm(chat_answer(sql="SELECT count(*) FROM singer"), cache=True)
    question = f"How many singers? {uuid.uuid4()}"
    first, second = ask(question, spider_db, lm=lm), ask(question, spider_db, lm=lm)
    assert len(llama.calls) == 1
    assert not first.cached and second.cached
    assert "from DSPy's cache" in str(second)
