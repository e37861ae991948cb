"""``workbench eval text2sql``: execution accuracy of the text2sql pipeline on any Spider-format folder.

Writes ``OUTDIR/pred.txt`` (one SQL per line, Spider's prediction format),
``OUTDIR/results.jsonl`` and ``OUTDIR/summary.json``, and logs the same to
MLflow as one run. Predictions are scored on the SQLite files (Spider's gold
SQL is SQLite dialect); they are also transpiled to DuckDB with sqlglot and
run on DuckDB copies of the databases, reported separately as ``ex_duckdb``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.evaluation.metrics import gold_is_ordered, results_match
from workbench.evaluation.spider import Text2SQLExample, database_path, load_questions, select
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary, figure
from workbench.sql.text2sql import SQLOutcome, Text2SQLOptions

GOLD_TIMEOUT_S = 60.0
EVAL_ROW_LIMIT = 100_000


@dataclass(frozen=True, kw_only=True, eq=False)
class Text2SQLSummary(Summary):
    """What ``evaluate_text2sql`` measured (``summary.json``): EX overall, by hardness and on DuckDB copies,
    errors, time and tokens, and what ran (LM, program, options, data)."""

    n: int
    ex: float
    ex_by_hardness: dict[str, float]
    n_by_hardness: dict[str, int]
    errors_by_kind: dict[str, int]
    seconds_p50: float
    seconds_p95: float
    tokens: dict[str, int]
    repaired: int
    ex_duckdb: float | None = figure(optional=True)  # only with the DuckDB portability run
    stopped_early: bool
    compiled: str | None  # the compiled program used (a path, or "<optimizer> <created>"); None: zero-shot
    wall_s: float
    lm: str
    program: str
    lm_cache: bool
    options: dict[str, Any]
    questions: str
    db_dir: str
    limit: int | None
    seed: int | None

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"text2sql EX: {self.lm}, {self.n} questions"


def evaluate_text2sql(questions: str | Path | list[str | Path], db_dir: str | Path, out: str | Path, *,
                      lm: str | Any = None, limit: int | None = None, seed: int | None = None,
                      options: Text2SQLOptions | None = None, duckdb: bool = True, cache: bool = True,
                      program: Any = None, compiled: bool | str | Path | None = None, deadline: float | None = None,
                      settings: Settings | None = None, log: bool = True,
                      progress: bool = True) -> Text2SQLSummary:
    """Run the pipeline on a Spider-format set and score it; returns the summary (also written to ``out``).

    ``lm`` is a model name (default: the ``lm`` setting) or a ready ``dspy.LM``. With ``cache=False``
    DSPy's response cache is off, so every answer is generated and the timings are real.
    The text2sql program is ``program`` when given; else ``compiled`` decides: a path loads that compiled
    file, False forces the zero-shot program, and True or None (the ``use_compiled`` setting) loads the
    compiled program saved for the LM when there is one. The summary's ``compiled`` names the file used.
    At ``deadline`` (a ``time.monotonic()`` value) the run stops between questions and scores the finished
    ones; the summary then has ``stopped_early`` true.
    """
    from tqdm.auto import tqdm

    from workbench.lm import resolve_lm
    from workbench.programs.text2sql import VERSION
    from workbench.sql.database import Database
    from workbench.sql.text2sql import SQLWriter

    settings = settings or get_settings()
    options = options or Text2SQLOptions(row_limit=EVAL_ROW_LIMIT, timeout_s=GOLD_TIMEOUT_S)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    examples = select(load_questions(questions), limit, seed)
    paths = {db_id: database_path(db_dir, db_id) for db_id in sorted({e.db_id for e in examples})}
    model = resolve_lm(lm, settings=settings, cache=cache)
    lm_name = lm if isinstance(lm, str) else getattr(model, "model", None) or settings.lm
    meta = None
    if program is None:  # one program for every database: loaded (and its file read) once
        from workbench.programs.compiled import load_default_text2sql, load_text2sql

        if isinstance(compiled, str | Path):
            program, meta = load_text2sql(compiled, options.chain_of_thought)
        else:
            program, meta = load_default_text2sql(options.chain_of_thought, model, use_compiled=compiled)
    writers = {db_id: SQLWriter(Database.open(p), options, lm=model, program=program) for db_id, p in paths.items()}
    copies = _duckdb_copies(paths, out / "duckdb") if duckdb else {}
    started = time.perf_counter()
    records: list[dict[str, Any]] = [{} for _ in examples]
    # Run questions grouped by database (the prompt prefix of one schema is then reused); report in given order.
    order = sorted(range(len(examples)), key=lambda i: (examples[i].db_id, i))
    stopped_early = False
    for i in tqdm(order, desc="text2sql eval", disable=not progress):
        if deadline is not None and time.monotonic() >= deadline:
            stopped_early = True
            break
        example = examples[i]
        outcome = writers[example.db_id](example.question)
        records[i] = _score(example, outcome, paths[example.db_id], copies.get(example.db_id))
    records = [r for r in records if r]
    wall = time.perf_counter() - started
    summary = Text2SQLSummary(
        **summarise(records), stopped_early=stopped_early,
        compiled=str(compiled) if isinstance(compiled, str | Path) else (
            f"{meta.optimizer} {meta.created}" if meta is not None else None),
        wall_s=round(wall, 1), lm=lm_name, program=VERSION, lm_cache=bool(model.cache), options=options.as_params(),
        questions=",".join(map(str, questions)) if isinstance(questions, list) else str(questions),
        db_dir=str(db_dir), limit=limit, seed=seed)
    (out / "pred.txt").write_text("".join(" ".join(r["predicted"].split()) + "\n" for r in records))
    (out / "results.jsonl").write_text("".join(json.dumps(r, default=str) + "\n" for r in records))
    summary.write(out / "summary.json")
    if log:
        _log(summary, out, settings)
    return summary


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """EX overall and by hardness, error counts, time percentiles and tokens for scored records (the
    ``Text2SQLSummary`` fields the records decide)."""
    n = len(records)
    by_hardness: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        by_hardness[r["hardness"] or "unknown"].append(r["correct"])
    seconds = [r["seconds"] for r in records]
    summary: dict[str, Any] = {
        "n": n,
        "ex": _rate([r["correct"] for r in records]),
        "ex_by_hardness": {h: _rate(v) for h, v in sorted(by_hardness.items())},
        "n_by_hardness": {h: len(v) for h, v in sorted(by_hardness.items())},
        "errors_by_kind": dict(Counter(r["error_kind"] for r in records if r["error_kind"])),
        "seconds_p50": round(percentile(seconds, 0.5), 3),
        "seconds_p95": round(percentile(seconds, 0.95), 3),
        "tokens": {k: sum(r["tokens"].get(k, 0) for r in records) for k in ("prompt_tokens", "completion_tokens")},
        "repaired": sum(1 for r in records if r["attempts"] > 1),
    }
    if records and "correct_duckdb" in records[0]:
        summary["ex_duckdb"] = _rate([bool(r.get("correct_duckdb")) for r in records])
    return summary


def _rate(values: list[bool]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _score(example: Text2SQLExample, outcome: SQLOutcome, db_path: Path, duck: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "index": example.index, "db_id": example.db_id, "question": example.question, "hardness": example.hardness,
        "gold": example.query, "predicted": outcome.sql, "correct": False, "error_kind": outcome.error_kind,
        "error": outcome.error, "seconds": round(outcome.seconds, 3), "tokens": outcome.tokens,
        "attempts": len(outcome.attempts), "votes": outcome.votes,
    }
    try:
        gold = gold_rows(db_path, example.query)
    except Exception as exc:  # a broken gold query is reported, never scored as a model error
        record.update(error_kind="gold_error", error=f"gold SQL failed: {exc}")
        return record
    ordered = gold_is_ordered(example.query)
    if outcome.result is not None:
        record["correct"] = results_match(gold, outcome.result.rows, ordered=ordered)
        if not record["correct"]:
            record["error_kind"] = "wrong_result"
    if duck is not None:
        record["correct_duckdb"], record["duckdb_error"] = _score_duckdb(outcome.sql, duck, gold, ordered)
    return record


def gold_rows(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Run trusted gold SQL on a read-only SQLite connection, text decoded ignoring invalid bytes."""
    deadline = time.monotonic() + GOLD_TIMEOUT_S
    with contextlib.closing(sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)) as con:
        con.text_factory = lambda b: b.decode(errors="ignore")
        con.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return [tuple(r) for r in con.execute(sql).fetchall()]


def _score_duckdb(sql: str, duck: Any, gold: list[tuple[Any, ...]], ordered: bool) -> tuple[bool, str]:
    import sqlglot

    if not sql:
        return False, "no prediction"
    try:
        translated = sqlglot.transpile(sql, read="sqlite", write="duckdb")[0]
        _, rows, _ = duck.fetch(translated, row_limit=EVAL_ROW_LIMIT, timeout_s=GOLD_TIMEOUT_S)
    except Exception as exc:
        return False, f"{type(exc).__name__}: {str(exc)[:200]}"
    return results_match(gold, rows, ordered=ordered), ""


def _duckdb_copies(paths: dict[str, Path], folder: Path) -> dict[str, Any]:
    """DuckDB copies of the SQLite databases (each table read through the read-only Database), opened read-only."""
    import duckdb

    from workbench.sql.database import Database

    folder.mkdir(parents=True, exist_ok=True)
    copies = {}
    for db_id, path in paths.items():
        target = folder / f"{db_id}.duckdb"
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            tmp.unlink(missing_ok=True)
            source = Database.open(path)
            con = duckdb.connect(str(tmp))
            try:
                for table in source.tables:
                    frame = source.execute(f'SELECT * FROM "{table.name}"', row_limit=10**9).frame
                    con.register("frame", frame)
                    con.execute(f'CREATE TABLE "{table.name}" AS SELECT * FROM frame')
                    con.unregister("frame")
            finally:
                con.close()
            tmp.replace(target)
        copies[db_id] = Database.open(target)
    return copies


def _log(s: Text2SQLSummary, out: Path, settings: Settings) -> None:
    from workbench.tracking import log_run

    metrics = {"ex": s.ex, "seconds_p50": s.seconds_p50, "seconds_p95": s.seconds_p95, "wall_s": s.wall_s,
               "repaired": s.repaired, **{f"ex_{h}": v for h, v in s.ex_by_hardness.items()},
               **{f"errors_{k}": v for k, v in s.errors_by_kind.items()},
               **{f"tokens_{k}": v for k, v in s.tokens.items()}}
    if s.ex_duckdb is not None:
        metrics["ex_duckdb"] = s.ex_duckdb
    log_run("text2sql-eval", run_name=f"{s.lm}-n{s.n}", settings=settings,
            params={"lm": s.lm, "program": s.program, "dataset": s.questions, "lm_cache": s.lm_cache,
                    "compiled": s.compiled, "n": s.n, "limit": s.limit, "seed": s.seed, **s.options},
            metrics=metrics, artifacts=[out / name for name in ("pred.txt", "results.jsonl", "summary.json")])
