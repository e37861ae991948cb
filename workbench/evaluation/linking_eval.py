"""How well schema linking keeps the tables a question needs, on any Spider-format set.

For every question on a database with more than one table, linking runs with
a budget of ``fraction`` of the full schema's tokens; a question counts as
covered when every table its gold SQL reads was kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbench.evaluation.spider import database_path, load_questions
from workbench.evaluation.summary import Summary
from workbench.sql.database import Database
from workbench.sql.linking import CHARS_PER_TOKEN, link_schema


@dataclass(frozen=True, kw_only=True, eq=False)
class LinkingSummary(Summary):
    """What ``evaluate_linking`` measured: questions on multi-table databases, the share whose gold tables were
    all kept, the average share of the schema kept, and the budget (a share of the full schema's tokens)."""

    n: int
    coverage: float
    schema_kept: float
    fraction: float

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"schema linking: {self.n} questions, budget {self.fraction} of the schema"


def gold_tables(sql: str) -> set[str]:
    """Lower-case names of the tables a (SQLite) query reads, CTE names excluded."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(sql, read="sqlite")
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    return {t.name.lower() for t in tree.find_all(exp.Table)} - ctes


def evaluate_linking(questions: str | Path | list[str | Path], db_dir: str | Path, *, fraction: float = 0.5,
                     sample_values: int = 3) -> LinkingSummary:
    """Coverage of gold tables and the share of schema kept, over multi-table databases."""
    dbs: dict[str, Database] = {}
    covered, kept_share, n = 0, 0.0, 0
    for example in load_questions(questions if isinstance(questions, list) else [questions]):
        db = dbs.setdefault(example.db_id, Database.open(database_path(db_dir, example.db_id)))
        if len(db.tables) < 2:
            continue
        try:
            needed = gold_tables(example.query)
        except Exception:
            continue
        full = db.schema_text(sample_values)
        budget = int(len(full) / CHARS_PER_TOKEN * fraction)
        text, kept = link_schema(db, example.question, token_budget=budget, sample_values=sample_values)
        n += 1
        covered += needed <= {k.lower() for k in kept}
        kept_share += len(text) / len(full)
    return LinkingSummary(n=n, coverage=round(covered / n, 4) if n else 0.0,
                          schema_kept=round(kept_share / n, 4) if n else 0.0, fraction=fraction)
