"""Checks of generated SQL that need no LM: did it run, is the result shaped like the question, do candidates agree.

``sql_checks(question, db, outcome)`` returns one ``Check`` per signal, each
with its value in [0, 1], whether it passed, and a note naming what failed,
so the supervisor's evaluator can turn them into a probability that the
answer is right and its feedback can say why not:

* ``ran``: the chosen SQL passed the guard and ran;
* ``rows``: it returned at least one row;
* ``shape``: the result has the shape the question asks for: one value for
  a count or a single aggregate, N rows for "top N", more than one column
  for "for each ..." (0.5 when the question implies no shape);
* ``agreement``: share of the independent candidates (sampled queries) whose
  rows equal the chosen result's (0.5 with a single candidate: unknown);
* ``coverage``: share of the question's words that name a column or table
  of the database and that the SQL uses;
* ``first_try``: the query ran without a repair;
* ``non_null``: share of non-NULL cells in the result.

``SIGNALS`` adds ``lm_check``, the one LM signal: P(yes) that the query
answers the question, read from a local model's first token
(``workbench.sql.verifier``; the data agent adds it, 0.5 when unknown).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.sql.linking import words

if TYPE_CHECKING:
    from workbench.sql.database import Database
    from workbench.sql.text2sql import SQLOutcome

RULE_SIGNALS = ("ran", "rows", "shape", "agreement", "coverage", "first_try", "non_null")
SIGNALS = (*RULE_SIGNALS, "lm_check")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
            "ten": 10}
_TOP_N = re.compile(r"\b(?:top|first|the|which|what|list|show|name|give me)\s+"
                    r"(\d+|two|three|four|five|six|seven|eight|nine|ten)\b", re.I)
_COUNT = re.compile(r"\b(how many|number of|count)\b", re.I)
_EACH = re.compile(r"\b(each|every|per|for all|by (?:each|every))\b|\bgroup", re.I)
_AGGREGATE = re.compile(r"^\s*(?:what is|what's|what are|find|return|show|give|compute|tell me)?\s*(?:me\s+)?"
                        r"(?:the\s+)?(average|mean|total|sum|maximum|minimum|max|min)\b", re.I)


@dataclass(frozen=True)
class Check:
    """One signal: ``value`` in [0, 1], whether it ``passed``, and ``note`` saying what failed (empty if not)."""

    name: str
    value: float
    passed: bool
    note: str = ""


def expected_shape(question: str) -> tuple[str, int | None]:
    """What the question asks for: ``("value", 1)`` (a count or aggregate), ``("rows", N)`` (top N),
    ``("groups", None)`` (one row per group), or ``("any", None)``."""
    if match := _TOP_N.search(question):
        word = match.group(1).lower()
        n = _NUMBERS.get(word) or (int(word) if word.isdigit() else None)
        if n and n > 1:
            return "rows", n
    if _EACH.search(question):
        return "groups", None
    if _COUNT.search(question) or _AGGREGATE.search(question):
        return "value", 1
    return "any", None


def shape_check(question: str, n_rows: int, n_columns: int) -> Check:
    """Whether ``n_rows`` × ``n_columns`` fits what the question asks for."""
    kind, n = expected_shape(question)
    if kind == "value":
        ok = n_rows == 1
        return Check("shape", float(ok), ok, "" if ok else f"the question asks for one value but the result has "
                                                            f"{n_rows} rows")
    if kind == "rows":
        ok = n_rows == n
        return Check("shape", float(ok), ok, "" if ok else f"the question asks for {n} rows but the result has "
                                                            f"{n_rows}")
    if kind == "groups":
        ok = n_columns >= 2 and n_rows >= 1
        return Check("shape", float(ok), ok, "" if ok else "the question asks for a value per group but the result "
                                                            "has no group column")
    return Check("shape", 0.5, True)


def coverage_check(question: str, db: Database, sql: str) -> Check:
    """Share of the question's schema words (names of columns and tables) that the SQL uses."""
    schema_words: set[str] = set()
    for table in db.tables:
        schema_words |= words(table.name)
        for column in table.columns:
            schema_words |= words(column.name)
    linked = words(question) & schema_words
    if not linked:
        return Check("coverage", 1.0, True)
    used = words(re.sub(r"'[^']*'", " ", sql)) | words(sql)
    missed = sorted(linked - used)
    value = 1 - len(missed) / len(linked)
    note = f"the query does not use {', '.join(missed)}, which the question mentions" if missed else ""
    return Check("coverage", round(value, 4), not missed, note)


def sql_checks(question: str, db: Database, outcome: SQLOutcome) -> list[Check]:
    """Every signal of ``RULE_SIGNALS`` for one text2sql outcome, in that order (see the module docstring)."""
    result = outcome.result
    if result is None:
        error = f"the SQL did not run ({outcome.error_kind}: {outcome.error[:200]})"
        return [Check("ran", 0.0, False, error), Check("rows", 0.0, False), Check("shape", 0.0, False),
                Check("agreement", 0.0, False), coverage_check(question, db, outcome.sql),
                Check("first_try", 0.0, False), Check("non_null", 0.0, False)]
    frame = result.frame
    n_rows, n_columns = len(frame), len(frame.columns)
    checks = [Check("ran", 1.0, True),
              Check("rows", float(n_rows > 0), n_rows > 0, "" if n_rows else "the query returned no rows")]
    checks.append(shape_check(question, n_rows, n_columns) if n_rows else Check("shape", 0.0, False))
    agreement = outcome.agreement
    if agreement is None:
        checks.append(Check("agreement", 0.5, True))
    else:
        others = len(outcome.candidates) - 1
        agreed = round(agreement * others)
        note = "" if agreement == 1 else (f"{others - agreed} of {others} independently sampled queries returned "
                                          "different rows")
        checks.append(Check("agreement", round(agreement, 4), agreement == 1, note))
    checks.append(coverage_check(question, db, outcome.sql))
    first_try = any(a.sql == outcome.sql and a.stage == "generate" and not a.error_kind for a in outcome.attempts)
    checks.append(Check("first_try", float(first_try), first_try, "" if first_try else "the query needed a repair"))
    cells = n_rows * n_columns
    non_null = 1.0 if not cells else float(frame.notna().to_numpy().sum()) / cells
    checks.append(Check("non_null", round(non_null, 4), non_null > 0.5,
                        "" if non_null > 0.5 else "most values in the result are NULL"))
    return checks
