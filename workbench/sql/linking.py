"""Schema linking: when a schema is too large for the prompt, keep the tables a question needs.

Each table is scored by keyword overlap between the question and the table's
name, its column names and its sample values (names split on ``_`` and
camelCase, light plural stemming, stop words dropped). Tables are added best
first, each bringing the tables its foreign keys point to, until the
rendered schema would pass the token budget. A schema within budget is
returned whole.

This is keyword matching only: tables are not matched by embeddings (the
sentence-transformers encoder of ``workbench.retrieval.dense`` is not used here).
"""

from __future__ import annotations

import re

from workbench.sql.database import Database, Table

CHARS_PER_TOKEN = 3.5
_STOP = frozenset(
    (  # noqa: SIM905 - a word list reads best as text
        "a an the of in on for to and or by with from at as is are was were be been what which who whom whose how "
        "many much list show give find return all each every that this these those there their its it do does did "
        "have has than then not no only also me please tell name names number"
    ).split()
)


def words(text: str) -> set[str]:
    """Lower-case word stems of ``text``: split on non-letters, ``_`` and camelCase; plurals folded; stop words out."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    out = set()
    for word in re.findall(r"[A-Za-z]+|\d+", spaced):
        word = word.lower()
        if word in _STOP or len(word) < 2:
            continue
        out.add(_stem(word))
    return out


def _stem(word: str) -> str:
    for suffix, repl in (("ies", "y"), ("ses", "s"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def score_tables(db: Database, question: str, sample_values: int = 3) -> list[tuple[float, Table]]:
    """Tables with their relevance to ``question``, best first."""
    asked = words(question)
    samples = db.samples(sample_values) if sample_values else {}
    scored = []
    for table in db.tables:
        score = 3.0 * len(asked & words(table.name))
        for column in table.columns:
            score += 2.0 * len(asked & words(column.name))
            for value in samples.get((table.name, column.name), []):
                if isinstance(value, str) and len(value) > 2 and value.lower() in question.lower():
                    score += 2.0
        scored.append((score, table))
    return sorted(scored, key=lambda pair: -pair[0])


def link_schema(db: Database, question: str, *, token_budget: int, sample_values: int = 3) -> tuple[str, list[str]]:
    """Schema text within ``token_budget`` for ``question``, and the names of the tables kept."""
    full = db.schema_text(sample_values)
    if len(full) / CHARS_PER_TOKEN <= token_budget:
        return full, [t.name for t in db.tables]
    by_name = {t.name: t for t in db.tables}
    kept: list[str] = []
    for _, table in score_tables(db, question, sample_values):
        group = [table.name] + [other for _, other, _ in table.foreign_keys if other in by_name]
        trial = kept + [name for name in group if name not in kept]
        if kept and len(db.schema_text(sample_values, tables=trial)) / CHARS_PER_TOKEN > token_budget:
            break
        kept = trial
    return db.schema_text(sample_values, tables=kept), kept
