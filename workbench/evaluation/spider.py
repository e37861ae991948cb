"""Spider-format text2sql data: a JSON list of questions and a folder of SQLite databases.

Questions: ``[{"db_id", "question", "query", "hardness"?}, ...]``; databases:
``DIR/<db_id>/<db_id>.sqlite``. Nothing here knows any particular database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import InputError, MissingInputError
from workbench.jsonl import read_json


@dataclass(frozen=True)
class Text2SQLExample:
    """One question with its gold SQL; ``index`` is its position in the source file."""

    index: int
    db_id: str
    question: str
    query: str
    hardness: str = ""


def load_questions(paths: str | Path | list[str | Path]) -> list[Text2SQLExample]:
    """Read one or more Spider-format question files (concatenated, indexed in that order).

    Raises ``InputError`` naming the file and item when one is malformed, ``MissingInputError`` when a file
    does not exist.
    """
    if isinstance(paths, list):
        examples: list[Text2SQLExample] = []
        for path in paths:
            examples += [Text2SQLExample(len(examples) + e.index, e.db_id, e.question, e.query, e.hardness)
                         for e in load_questions(path)]
        return examples
    path = Path(paths)
    items = read_json(path, "Question", "a Spider-format list of {db_id, question, query}")
    if not isinstance(items, list):
        raise InputError(f"{path} must hold a JSON list of {{db_id, question, query}} objects.")
    examples = []
    for i, item in enumerate(items):
        missing = [k for k in ("db_id", "question", "query") if not isinstance(item, dict) or k not in item]
        if missing:
            raise InputError(f"{path}: item {i} lacks {', '.join(missing)}; each item needs db_id, question, query.")
        examples.append(Text2SQLExample(i, item["db_id"], item["question"], item["query"], item.get("hardness") or ""))
    return examples


def select(examples: list[Text2SQLExample], limit: int | None = None, seed: int | None = None) -> list[Text2SQLExample]:
    """An optional seeded shuffle, then the first ``limit`` examples (all when ``limit`` is None)."""
    chosen = list(examples)
    if seed is not None:
        random.Random(seed).shuffle(chosen)
    return chosen if limit is None else chosen[:limit]


def database_path(db_dir: str | Path, db_id: str) -> Path:
    """``DIR/<db_id>/<db_id>.sqlite`` (or ``.db``); raise ``MissingInputError`` naming the expected path."""
    folder = Path(db_dir) / db_id
    for suffix in (".sqlite", ".db", ".sqlite3"):
        candidate = folder / f"{db_id}{suffix}"
        if candidate.is_file():
            return candidate
    raise MissingInputError(f"No database for db_id {db_id!r}: expected {folder / (db_id + '.sqlite')}.")
