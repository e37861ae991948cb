"""Spider-format loading: any folder, clear errors for malformed input."""

from __future__ import annotations

import json

import pytest

from workbench.evaluation.spider import database_path, load_questions, select


def test_loads_the_visible_spider_questions():
    from common import SPIDER

    examples = load_questions(SPIDER / "questions.json")
    assert len(examples) == 319
    assert {e.hardness for e in examples} == {"easy", "medium", "hard", "extra"}


def test_malformed_items_name_the_file_and_the_missing_key(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"db_id": "x", "question": "q"}]))
    with pytest.raises(ValueError, match=r"item 0 lacks query"):
        load_questions(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_questions(path)


def test_seeded_selection_is_reproducible_and_limit_takes_the_first(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"db_id": "d", "question": str(i), "query": "SELECT 1"} for i in range(50)]))
    examples = load_questions(path)
    assert select(examples, 3) == examples[:3]
    assert select(examples, 10, seed=7) == select(examples, 10, seed=7) != examples[:10]


def test_missing_database_names_the_expected_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"shop/shop\.sqlite"):
        database_path(tmp_path, "shop")
