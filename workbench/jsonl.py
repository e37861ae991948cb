"""Reading a user's JSON and JSON-lines files: a missing file or a bad line is an error naming it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from workbench.errors import InputError, MissingInputError

T = TypeVar("T")


def read_jsonl(path: Path, make: Callable[[dict[str, Any]], T], what: str, expected: str) -> Iterator[T]:
    """``make(item)`` for each non-blank line of ``path``.

    A missing file raises ``MissingInputError``; a line that is not JSON, or that ``make`` rejects
    (``KeyError``/``TypeError``/``ValueError``), raises ``InputError`` naming ``path:line``, ``what`` was
    expected, the ``expected`` shape and the line itself.
    """
    if not path.is_file():
        raise MissingInputError(f"{what} file not found: {path}")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield make(json.loads(line))
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{path}:{number}: not a {what} line ({type(exc).__name__}: {exc}); expected "
                                 f"{expected}, got {line[:120]!r}") from exc


def read_json(path: Path, what: str, expected: str) -> Any:
    """The JSON value in ``path``, a user's ``what`` file (e.g. "question", "pairs") holding ``expected``.

    A missing file raises ``MissingInputError`` and a file that is not JSON raises ``InputError``, each naming
    the file and the expected shape.
    """
    if not path.is_file():
        raise MissingInputError(f"{what} file not found: {path}; pass a JSON file holding {expected}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); expected {expected}") from exc
