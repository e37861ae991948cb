"""Reading JSON-lines files whose every bad line is reported with its file and line number."""

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
