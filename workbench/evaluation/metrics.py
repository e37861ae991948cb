"""Text2SQL execution accuracy, by Spider's test-suite definition.

Two results match when they are equal as multisets of rows, with columns
allowed in any order; row order counts only when the gold SQL has a
top-level ``ORDER BY``. Values compare with Python equality (``1 == 1.0``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

Row = tuple[Any, ...]
MAX_PERMUTATIONS = 20_000


def gold_is_ordered(gold_sql: str, dialect: str = "sqlite") -> bool:
    """True when the gold query's outermost SELECT has an ``ORDER BY`` (so row order is part of the answer)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(gold_sql, read=dialect)
    except Exception:  # unparsable gold: fall back to a textual check
        return "order by" in gold_sql.lower()
    return isinstance(tree, exp.Query) and tree.args.get("order") is not None


def results_match(gold: Sequence[Row], predicted: Sequence[Row], *, ordered: bool) -> bool:
    """Whether ``predicted`` rows equal ``gold`` rows, columns in any order (Spider's EX)."""
    if len(gold) != len(predicted):
        return False
    if not gold:
        return True
    width = len(gold[0])
    if any(len(r) != width for r in predicted):
        return False
    gold_rows = [tuple(r) for r in gold]
    gold_count = Counter(gold_rows)
    gold_columns = [Counter(r[i] for r in gold_rows) for i in range(width)]
    pred_columns = [Counter(r[j] for r in predicted) for j in range(width)]
    # A gold column can only come from a predicted column holding the same multiset of values.
    candidates = [[j for j in range(width) if pred_columns[j] == gold_columns[i]] for i in range(width)]
    if any(not c for c in candidates):
        return False
    for tried, mapping in enumerate(_assignments(candidates)):
        if tried >= MAX_PERMUTATIONS:
            return False
        rows = [tuple(r[j] for j in mapping) for r in predicted]
        if (rows == gold_rows) if ordered else (Counter(rows) == gold_count):
            return True
    return False


def _assignments(candidates: list[list[int]]) -> Any:
    """Every way of giving each gold column a distinct predicted column from its candidates."""
    chosen: list[int] = []
    used: set[int] = set()

    def walk(i: int) -> Any:
        if i == len(candidates):
            yield tuple(chosen)
            return
        for j in candidates[i]:
            if j not in used:
                used.add(j)
                chosen.append(j)
                yield from walk(i + 1)
                chosen.pop()
                used.remove(j)

    return walk(0)
