"""From a question to SQL that ran: generate, guard, execute, repair, and optionally vote.

``SQLWriter(db, options)(question)`` returns a ``SQLOutcome`` holding the
chosen SQL, its rows, and every attempt with its error. Each technique is a
switch in ``Text2SQLOptions`` so experiments can compare them:

* ``sample_values``: example values per column in the schema shown to the LM;
* ``fix_aliases``: when a query names a column through the wrong table alias
  (``T2.song_name`` where ``song_name`` is in the table aliased ``T1``), requalify
  it deterministically and rerun, before asking the LM;
* ``repair_attempts``: feed a parse, guard or execution error back to the LM;
* ``schema_token_budget``: a schema larger than this many tokens is cut to
  the tables the question needs (``workbench.sql.linking``);
* ``candidates``: self-consistency; the first candidate is greedy, the rest are
  sampled at ``temperature``, and the answer whose result rows most candidates
  agree on wins (ties go to the earliest candidate). With two, the greedy
  answer stands unless it failed, and the sampled one is an independent
  check: ``SQLOutcome.agreement`` says whether they agree.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from workbench.sql.database import Database, QueryError, QueryResult, Table
from workbench.sql.guard import SQLSyntaxError, UnsafeSQLError

if TYPE_CHECKING:
    import dspy


@dataclass(frozen=True)
class Text2SQLOptions:
    """Switches of the text2sql pipeline (see the module docstring)."""

    sample_values: int = 0
    repair_attempts: int = 2
    fix_aliases: bool = True
    candidates: int = 1
    temperature: float = 0.7
    chain_of_thought: bool = False
    schema_token_budget: int = 3000
    row_limit: int | None = None
    timeout_s: float | None = None

    def as_params(self) -> dict[str, Any]:
        """The switches as flat MLflow parameters."""
        return {f"t2s_{k}": v for k, v in asdict(self).items()}


@dataclass
class SQLAttempt:
    """One generated query and what happened to it (``error_kind`` empty when it ran)."""

    sql: str
    stage: str
    error: str = ""
    error_kind: str = ""
    rows: int | None = None


@dataclass
class SQLCandidate:
    """One candidate's final query and its result (``None`` when it never ran)."""

    sql: str
    result: QueryResult | None

    @property
    def key(self) -> tuple[Any, ...] | None:
        """What agreement compares: the result rows as a multiset (``None`` when the query did not run)."""
        return None if self.result is None else result_key(self.result)


@dataclass
class SQLOutcome:
    """The chosen SQL and its result, with every attempt, every candidate, token usage and time taken."""

    question: str
    sql: str = ""
    result: QueryResult | None = None
    attempts: list[SQLAttempt] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0})
    seconds: float = 0.0
    votes: int = 0
    candidates: list[SQLCandidate] = field(default_factory=list)

    def copy(self) -> SQLOutcome:
        """A copy whose lists can grow (more candidates) without changing this outcome."""
        return dataclasses.replace(self, attempts=list(self.attempts), tokens=dict(self.tokens),
                                   candidates=list(self.candidates))

    @property
    def agreement(self) -> float | None:
        """Share of the other candidates whose rows equal the chosen result's (``None`` with one candidate)."""
        if len(self.candidates) < 2 or self.result is None:
            return None
        return (self.votes - 1) / (len(self.candidates) - 1)

    @property
    def ok(self) -> bool:
        """True when the chosen SQL ran."""
        return self.result is not None

    @property
    def error(self) -> str:
        """The last error when nothing ran, else empty."""
        return "" if self.ok or not self.attempts else self.attempts[-1].error

    @property
    def error_kind(self) -> str:
        """``unsafe``, ``syntax``, ``execution``, ``timeout`` or ``lm`` when nothing ran, else empty."""
        return "" if self.ok or not self.attempts else self.attempts[-1].error_kind


class SQLWriter:
    """Turns questions about one database into SQL that passed the guard and ran."""

    def __init__(self, db: Database, options: Text2SQLOptions | None = None, *, lm: dspy.BaseLM | None = None,
                 program: dspy.Module | None = None, compiled: bool | None = None) -> None:
        """``program`` overrides the text2sql program; otherwise the compiled (optimised) program saved for the
        LM in use is loaded when there is one and ``compiled`` (default: the ``use_compiled`` setting) allows it,
        else the zero-shot program. ``compiled_meta`` then says which file was loaded."""
        self.db = db
        self.options = options or Text2SQLOptions()
        self.lm = lm
        self._program = program
        self._compiled = compiled
        self.compiled_meta: Any = None
        self._schema: str | None = None

    @property
    def program(self) -> dspy.Module:
        """The text2sql program in use (resolved on first use, when the LM is known)."""
        if self._program is None:
            from workbench.programs.compiled import load_default_text2sql

            self._program, self.compiled_meta = load_default_text2sql(
                self.options.chain_of_thought, self.lm, use_compiled=self._compiled)
        return self._program

    @property
    def schema(self) -> str:
        """The whole schema text (rendered once)."""
        if self._schema is None:
            self._schema = self.db.schema_text(self.options.sample_values)
        return self._schema

    def schema_for(self, question: str) -> str:
        """The schema the LM sees for ``question``: whole when within budget, else the linked tables."""
        from workbench.sql.linking import CHARS_PER_TOKEN, link_schema

        budget = self.options.schema_token_budget - _demo_tokens(self.program)
        if len(self.schema) / CHARS_PER_TOKEN <= budget:
            return self.schema
        text, _ = link_schema(self.db, question, token_budget=max(budget, 300),
                              sample_values=self.options.sample_values)
        return text

    def __call__(self, question: str) -> SQLOutcome:
        """Write, run and (if needed) repair SQL for ``question``; vote across candidates when enabled."""
        from workbench.lm import lm_context

        outcome = SQLOutcome(question)
        started = time.perf_counter()
        with lm_context(self.lm):
            for i in range(max(1, self.options.candidates)):
                attempt, result = self._candidate(question, i, outcome)
                outcome.candidates.append(SQLCandidate(attempt.sql, result))
        choose(outcome)
        outcome.seconds = time.perf_counter() - started
        return outcome

    def more_candidates(self, outcome: SQLOutcome, n: int) -> SQLOutcome:
        """``n`` more sampled candidates for the same question, then the vote again over all of them."""
        from workbench.lm import lm_context

        started = time.perf_counter()
        with lm_context(self.lm):
            for i in range(len(outcome.candidates), len(outcome.candidates) + n):
                attempt, result = self._candidate(outcome.question, i, outcome)
                outcome.candidates.append(SQLCandidate(attempt.sql, result))
        choose(outcome)
        outcome.seconds += time.perf_counter() - started
        return outcome

    def _candidate(self, question: str, index: int, outcome: SQLOutcome) -> tuple[SQLAttempt, QueryResult | None]:
        config: dict[str, Any] = {}
        if index > 0:
            config = {"temperature": self.options.temperature, "rollout_id": index}
        attempt = self._generate(question, outcome, config)
        result = self._run(attempt, outcome)
        attempt, result = self._requalified(attempt, result, outcome)
        failed_before: set[str] = set()
        for round_ in range(self.options.repair_attempts):
            if result is not None or attempt.error_kind in ("lm", "timeout"):
                break
            repair_config = config
            if attempt.sql in failed_before:
                # the greedy repair repeated a failed query: sample instead of asking the same way again
                repair_config = {"temperature": self.options.temperature, "rollout_id": 1000 * (index + 1) + round_}
            failed_before.add(attempt.sql)
            attempt = self._generate(question, outcome, repair_config, failed=attempt)
            result = self._run(attempt, outcome)
            attempt, result = self._requalified(attempt, result, outcome)
        return attempt, result

    def repair_candidate(self, outcome: SQLOutcome, problem: str) -> SQLOutcome:
        """One more candidate: the chosen query fed back with ``problem`` (what a check found wrong), run and
        repaired like any other; then the vote again."""
        from workbench.lm import lm_context
        from workbench.programs.text2sql import checked_feedback

        started = time.perf_counter()
        failed = SQLAttempt(outcome.sql, "check", problem)
        with lm_context(self.lm):
            attempt = self._generate(outcome.question, outcome, {}, failed=failed,
                                     feedback=checked_feedback(outcome.sql, problem))
            result = self._run(attempt, outcome)
            attempt, result = self._requalified(attempt, result, outcome)
        outcome.candidates.append(SQLCandidate(attempt.sql, result))
        choose(outcome)
        outcome.seconds += time.perf_counter() - started
        return outcome

    def _requalified(self, attempt: SQLAttempt, result: QueryResult | None,
                     outcome: SQLOutcome) -> tuple[SQLAttempt, QueryResult | None]:
        """Rerun with columns moved to the alias whose table has them, when that is the only error."""
        if result is not None or not self.options.fix_aliases or attempt.error_kind != "execution":
            return attempt, result
        fixed = requalify_columns(attempt.sql, self.db)
        if fixed is None:
            return attempt, result
        retry = self._record(outcome, SQLAttempt(fixed, "requalify"))
        return retry, self._run(retry, outcome)

    def _generate(self, question: str, outcome: SQLOutcome, config: dict[str, Any],
                  failed: SQLAttempt | None = None, feedback: str = "") -> SQLAttempt:
        from workbench.programs.text2sql import NO_FEEDBACK, repair_feedback

        stage = "generate" if failed is None else "repair"
        if not feedback:
            feedback = NO_FEEDBACK
            if failed is not None:
                feedback = repair_feedback(failed.sql, failed.error[:500] + self._column_hint(failed))
        try:
            prediction = self.program(question=question, db_schema=self.schema_for(question), dialect=self.db.dialect,
                                      feedback=feedback, config=config)
        except Exception as exc:
            return self._record(outcome, SQLAttempt("", stage, f"{type(exc).__name__}: {exc}", "lm"))
        _add_usage(outcome, prediction)
        return self._record(outcome, SQLAttempt(prediction.sql, stage))

    def _column_hint(self, failed: SQLAttempt) -> str:
        """For an unknown-column error, say which tables have that column and how they join to the
        tables the query used (small models otherwise repeat the slip)."""
        match = _MISSING_COLUMN.search(failed.error)
        if not match:
            return ""
        found = next(g for g in match.groups() if g)
        column = found.split(".")[-1].strip('"`').lower()
        owners = [t for t in self.db.tables if any(c.name.lower() == column for c in t.columns)]
        if not owners:
            return f" No table has a column named {column}."
        hint = f" Column {column} is in table {', '.join(t.name for t in owners)}."
        used = {w.lower() for w in re.findall(r"\w+", failed.sql)}
        for owner in owners:
            for table in self.db.tables:
                if table.name.lower() not in used or table is owner:
                    continue
                for a, b, key_a, key_b in _links(table, owner):
                    hint += f" Join {a} with {b} on {a}.{key_a} = {b}.{key_b}."
        return hint

    def _run(self, attempt: SQLAttempt, outcome: SQLOutcome) -> QueryResult | None:
        if attempt.error_kind:
            return None
        try:
            result = self.db.execute(attempt.sql, row_limit=self.options.row_limit, timeout_s=self.options.timeout_s)
        except UnsafeSQLError as exc:
            attempt.error, attempt.error_kind = exc.reason, "unsafe"
        except SQLSyntaxError as exc:
            attempt.error, attempt.error_kind = exc.detail, "syntax"
        except QueryError as exc:
            attempt.error, attempt.error_kind = exc.detail, "timeout" if exc.timed_out else "execution"
        else:
            attempt.rows = len(result.frame)
            return result
        return None

    @staticmethod
    def _record(outcome: SQLOutcome, attempt: SQLAttempt) -> SQLAttempt:
        outcome.attempts.append(attempt)
        return attempt


_MISSING_COLUMN = re.compile(
    r'no such column: ([\w."`]+)|Referenced column "([^"]+)" not found'
    r'|column "?([\w.]+)"? (?:does not exist|not found)',
    re.IGNORECASE,
)


def requalify_columns(sql: str, db: Database) -> str | None:
    """Move ``alias.column`` to the one alias in the query whose table has that column; None if nothing to fix.

    Only columns whose alias's table lacks them are touched, and only when exactly
    one table of the query has the column, so a correct query is never changed.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read=db.dialect)
    except Exception:
        return None
    columns_of = {t.name.lower(): {c.name.lower() for c in t.columns} for t in db.tables}
    aliases = {t.alias_or_name.lower(): (t.alias_or_name, t.name.lower()) for t in tree.find_all(exp.Table)}
    changed = False
    for column in tree.find_all(exp.Column):
        qualifier, name = column.table.lower(), column.name.lower()
        if not qualifier or qualifier not in aliases:
            continue
        table = aliases[qualifier][1]
        if table not in columns_of or name in columns_of[table]:
            continue
        owners = [spelled for spelled, owner in aliases.values() if name in columns_of.get(owner, set())]
        if len(owners) == 1:
            column.set("table", exp.to_identifier(owners[0]))
            changed = True
    return tree.sql(dialect=db.dialect) if changed else None


def _links(one: Table, other: Table) -> list[tuple[str, str, str, str]]:
    """Foreign-key links between two tables, as (table, table, column, column)."""
    links = [(one.name, other.name, col, ref_col) for col, ref, ref_col in one.foreign_keys
             if ref.lower() == other.name.lower()]
    links += [(one.name, other.name, ref_col, col) for col, ref, ref_col in other.foreign_keys
              if ref.lower() == one.name.lower()]
    return links


def choose(outcome: SQLOutcome) -> SQLOutcome:
    """Set the outcome's SQL and result to the candidate whose rows most candidates share (earliest on a tie);
    a result with rows wins over an empty one."""
    ran = [c for c in outcome.candidates if c.result is not None]
    if ran:
        keys = [c.key for c in ran]
        counts = Counter(keys)
        best = max(range(len(ran)), key=lambda i: (len(ran[i].result.frame) > 0,  # type: ignore[union-attr]
                                                   counts[keys[i]], -i))
        outcome.sql, outcome.result, outcome.votes = ran[best].sql, ran[best].result, counts[keys[best]]
    elif outcome.attempts:
        outcome.sql, outcome.result, outcome.votes = outcome.attempts[-1].sql, None, 0
    return outcome


def result_key(result: QueryResult) -> tuple[Any, ...]:
    """Results agree when they hold the same rows (as a multiset, columns sorted by their values)."""
    rows = [tuple(map(repr, r)) for r in result.frame.itertuples(index=False)]
    columns = sorted(zip(*rows, strict=True)) if rows else []
    return (len(result.frame.columns), tuple(sorted(Counter(zip(*columns, strict=True)).items())) if columns else ())


def _demo_tokens(program: Any) -> int:
    """Rough tokens the program's demonstrations add to every prompt (they share the context with the schema)."""
    from workbench.sql.linking import CHARS_PER_TOKEN

    chars = sum(len(str(value)) for _, predictor in program.named_predictors() for demo in predictor.demos
                for value in dict(demo).values())
    return int(chars / CHARS_PER_TOKEN)


def _add_usage(outcome: SQLOutcome, prediction: Any) -> None:
    for per_model in (prediction.get_lm_usage() or {}).values():
        for key in outcome.tokens:
            outcome.tokens[key] += int(per_model.get(key) or 0)
