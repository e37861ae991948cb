"""``workbench optimize text2sql``: tune the text2sql program with a DSPy optimiser, judged on unseen databases.

The questions are split by database (``split_by_database``): the optimiser
sees only the training databases, and execution accuracy (EX) is reported on
the others, before and after, through the same pipeline ``workbench eval
text2sql`` runs (repair, alias fixing, the guard). The optimised program is
saved with its metadata (``workbench.programs.compiled``), loaded again in a
fresh Python process and re-evaluated, so a file that silently loses its
demonstrations shows up as a lost gain.

Training examples show only the tables their gold SQL reads, so a few
demonstrations fit the local models' 4,096-token context next to the
question's own schema.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError
from workbench.evaluation.spider import Text2SQLExample, database_path, load_questions
from workbench.evaluation.summary import Summary, figure
from workbench.optimize.common import OptimizationPlan, describe, run_optimizer

EVAL_TIMEOUT_S = 60.0


@dataclass(frozen=True, kw_only=True, eq=False)
class Text2SQLOptimizationSummary(Summary):
    """What ``optimize_text2sql`` did (``summary.json``): EX on the held-out databases zero-shot, optimised and
    (with the recheck) reloaded in a fresh process; the split, the plan, the calls and time it took, and the file."""

    HEADLINE = ("lm", "optimizer", "variant", "n_train", "n_eval", "ex_zero_shot", "ex_optimized", "ex_reloaded",
                "projected_calls", "optimize_calls", "optimize_s", "compiled")

    lm: str
    optimizer: str
    variant: str
    program: str
    plan: dict[str, Any]  # the fitted OptimizationPlan's fields
    train_dbs: list[str]
    eval_dbs: list[str]
    n_train: int
    n_eval: int
    ex_zero_shot: float
    ex_optimized: float
    optimize_s: float
    optimize_calls: int
    projected_calls: int
    demos: list[int]  # demonstrations per predictor of the optimised program
    compiled: str
    ex_reloaded: float | None = figure(optional=True)  # only with the fresh-process recheck

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"optimised text2sql: {self.lm}, {self.optimizer}, {self.n_eval} held-out questions"


def split_by_database(examples: list[Text2SQLExample], *, eval_fraction: float = 0.5, seed: int = 0,
                      eval_dbs: list[str] | None = None) -> tuple[list[Text2SQLExample], list[Text2SQLExample]]:
    """(train, eval): every database's questions on one side only.

    ``eval_dbs`` names the held-out databases; otherwise databases are shuffled with ``seed`` and held out until
    they hold ``eval_fraction`` of the questions.
    """
    by_db: dict[str, list[Text2SQLExample]] = defaultdict(list)
    for example in examples:
        by_db[example.db_id].append(example)
    if len(by_db) < 2:
        raise InputError(f"Splitting by database needs at least two databases; the questions use {sorted(by_db)}")
    if eval_dbs:
        unknown = sorted(set(eval_dbs) - set(by_db))
        if unknown:
            raise InputError(f"--eval-dbs names {unknown}, which have no questions; databases: {sorted(by_db)}")
        held = set(eval_dbs)
    else:
        order = sorted(by_db)
        random.Random(seed).shuffle(order)
        held, count = set(), 0
        for db_id in order:
            if count >= eval_fraction * len(examples) or len(held) == len(order) - 1:
                break
            held.add(db_id)
            count += len(by_db[db_id])
    train = [e for e in examples if e.db_id not in held]
    test = [e for e in examples if e.db_id in held]
    if not train:
        raise InputError("Every database is held out; leave at least one for training")
    return train, test


class ExecutionMetric:
    """Execution accuracy of one predicted query against the gold query (Spider's rules), as a DSPy metric.

    Called with a trace-less signature it returns 1.0 or 0.0; GEPA's five-argument call gets a
    ``dspy.Prediction(score, feedback)`` whose feedback says what went wrong (the error, or how the rows
    differ, and the gold SQL).
    """

    def __init__(self, db_dir: str | Path) -> None:
        self.db_dir = Path(db_dir)
        self._dbs: dict[str, Any] = {}
        self._gold: dict[tuple[str, str], tuple[list[tuple[Any, ...]], bool]] = {}  # rows, ordered

    def database(self, db_id: str) -> Any:
        """The read-only ``Database`` for ``db_id`` (opened once)."""
        from workbench.sql.database import Database

        if db_id not in self._dbs:
            self._dbs[db_id] = Database.open(database_path(self.db_dir, db_id))
        return self._dbs[db_id]

    def judge(self, example: Any, sql: str) -> tuple[bool, str]:
        """(correct, feedback) for ``sql`` answering ``example``."""
        from workbench.evaluation.metrics import gold_is_ordered, results_match
        from workbench.evaluation.text2sql_eval import gold_rows

        key = (example.db_id, example.sql)
        if key not in self._gold:
            rows = gold_rows(database_path(self.db_dir, example.db_id), example.sql)
            self._gold[key] = (rows, gold_is_ordered(example.sql))
        gold, ordered = self._gold[key]
        if not sql:
            return False, f"No SQL was written. A correct query is: {example.sql}"
        try:
            result = self.database(example.db_id).execute(sql, row_limit=100_000, timeout_s=EVAL_TIMEOUT_S)
        except Exception as exc:
            return False, f"The query failed: {str(exc)[:300]}. A correct query is: {example.sql}"
        if results_match(gold, result.rows, ordered=ordered):
            return True, "The query returned exactly the right rows."
        shape = f"{len(result.rows)} rows of {len(result.frame.columns)} columns"
        want = f"{len(gold)} rows of {len(gold[0]) if gold else 0} columns"
        return False, (f"The query ran but returned {shape}; the answer has {want}. "
                       f"A correct query is: {example.sql}")

    def __call__(self, example: Any, prediction: Any, trace: Any = None, pred_name: str | None = None,
                 pred_trace: Any = None) -> Any:
        correct, feedback = self.judge(example, getattr(prediction, "sql", "") or "")
        if pred_name is None and pred_trace is None:
            return float(correct)
        import dspy

        return dspy.Prediction(score=float(correct), feedback=feedback)


def to_dspy(examples: list[Text2SQLExample], metric: ExecutionMetric, *, full_schema: bool = False,
            sample_values: int = 0) -> list[Any]:
    """DSPy examples (inputs: question, db_schema, dialect, feedback; label: sql).

    The schema holds only the tables the gold SQL reads, unless ``full_schema``: short enough for demos.
    """
    import dspy

    from workbench.programs.text2sql import NO_FEEDBACK

    out = []
    for e in examples:
        db = metric.database(e.db_id)
        tables = None if full_schema else _tables_of(e.query, [t.name for t in db.tables])
        schema = db.schema_text(sample_values, tables=tables or None)
        out.append(dspy.Example(question=e.question, db_schema=schema, dialect=db.dialect, feedback=NO_FEEDBACK,
                                sql=e.query, db_id=e.db_id).with_inputs("question", "db_schema", "dialect",
                                                                         "feedback"))
    return out


def _tables_of(sql: str, names: list[str]) -> list[str]:
    """The schema's tables that ``sql`` names (by sqlglot; all of them when it cannot parse)."""
    import sqlglot
    from sqlglot import exp

    try:
        used = {t.name.lower() for t in sqlglot.parse_one(sql, read="sqlite").find_all(exp.Table)}
    except Exception:
        return names
    return [n for n in names if n.lower() in used] or names


def optimize_text2sql(trainset: str | Path | list[str | Path], db_dir: str | Path, out: str | Path, *,
                      optimizer: str = "bootstrap", lm: str | None = None, budget: int | None = None,
                      chain_of_thought: bool = False, eval_fraction: float = 0.5, eval_dbs: list[str] | None = None,
                      seed: int = 0, val_size: int = 30, demos: int = 3, candidates: int = 4,
                      eval_limit: int | None = None, recheck: bool = True, save_to: str | Path | None = None,
                      reflection_lm: str | None = None,
                      settings: Settings | None = None, log: bool = True, progress: bool = True,
                      echo: Any = print) -> Text2SQLOptimizationSummary:
    """Split by database, evaluate zero-shot, optimise on the training databases, evaluate, save, recheck.

    ``reflection_lm`` proposes instructions for GEPA and MIPRO (default: the task LM; a small local model
    proposes poor ones, so a stronger model is worth naming here).
    Returns (and writes to ``OUT/summary.json``) ``ex_zero_shot``, ``ex_optimized`` and, with ``recheck``,
    ``ex_reloaded`` (the saved file loaded in a fresh process), all on the held-out databases, plus the plan,
    the measured optimisation calls and time, and the compiled file's path.
    """
    from workbench.evaluation.text2sql_eval import evaluate_text2sql
    from workbench.lm import resolve_lm
    from workbench.programs.compiled import COMPILED_DIR, TEXT2SQL, CompiledMeta, lm_name, save_compiled, variant_of
    from workbench.programs.text2sql import VERSION, Text2SQL

    settings = settings or get_settings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    examples = load_questions(trainset)
    train, held = split_by_database(examples, eval_fraction=eval_fraction, seed=seed, eval_dbs=eval_dbs)
    held = held[:eval_limit] if eval_limit else held
    rng = random.Random(seed)
    shuffled = rng.sample(train, len(train))
    val, boot = shuffled[:val_size], shuffled[val_size:]
    plan = OptimizationPlan(optimizer, len(boot), len(val), demos, candidates, budget, seed).fitted()
    for name, part in (("train", train), ("eval", held)):
        (out / f"{name}.json").write_text(json.dumps(
            [{"db_id": e.db_id, "question": e.question, "query": e.query, "hardness": e.hardness} for e in part],
            indent=1) + "\n")
    model = resolve_lm(lm, settings=settings)
    name = lm_name(model)
    metric = ExecutionMetric(db_dir)
    boot_set = to_dspy(boot, metric)
    val_set = to_dspy(val, metric, full_schema=True)
    variant = variant_of(chain_of_thought)
    echo(f"split by database: train {sorted({e.db_id for e in train})} ({len(train)} questions: "
         f"{len(boot)} to bootstrap from, {len(val)} to validate), held out {sorted({e.db_id for e in held})} "
         f"({len(held)} questions)")
    seconds_per_call = _time_one_call(model, val_set[0], chain_of_thought)  # a full schema, as in most calls
    echo(describe(plan, seconds_per_call) + f"; plus about {3 * len(held)} calls to evaluate {len(held)} held-out "
         "questions before and after")

    common = {"db_dir": db_dir, "lm": model, "settings": settings, "log": log, "progress": progress}
    zero = evaluate_text2sql(out / "eval.json", out=out / "zero-shot", program=Text2SQL(chain_of_thought), **common)
    echo(f"zero-shot EX on held-out databases: {zero.ex:.3f} ({zero.n} questions)")

    done = run_optimizer(plan, metric, Text2SQL(chain_of_thought), boot_set, val_set, lm=model,
                         reflection_lm=reflection_lm, settings=settings)
    compiled, optimize_s, calls = done.program, done.seconds, done.calls
    echo(f"optimised in {optimize_s / 60:.1f} min with {calls} LM calls (cache hits not counted)")

    tuned = evaluate_text2sql(out / "eval.json", out=out / "optimized", program=compiled, **common)
    echo(f"optimised EX on held-out databases: {tuned.ex:.3f}")
    meta = CompiledMeta(program=TEXT2SQL, version=VERSION, variant=variant, lm=name,
                        trainset=_fingerprint(train), metric="execution accuracy (Spider rules)",
                        score=tuned.ex, baseline=zero.ex, optimizer=optimizer,
                        extra={"eval_dbs": sorted({e.db_id for e in held}), "n_eval": len(held), "plan": vars(plan),
                               "optimize_s": round(optimize_s, 1), "optimize_calls": calls})
    path = save_compiled(compiled, meta, save_to or COMPILED_DIR)
    echo(f"saved {path}")
    reloaded = None
    if recheck:
        reloaded = recheck_in_fresh_process(out / "eval.json", db_dir, path, lm=str(lm or settings.lm),
                                            out=out / "reloaded")
        echo(f"reloaded in a fresh process: EX {reloaded:.3f}")
    summary = Text2SQLOptimizationSummary(
        lm=name, optimizer=optimizer, variant=variant, program=VERSION, plan=vars(plan),
        train_dbs=sorted({e.db_id for e in train}), eval_dbs=sorted({e.db_id for e in held}),
        n_train=len(train), n_eval=len(held), ex_zero_shot=zero.ex, ex_optimized=tuned.ex,
        optimize_s=round(optimize_s, 1), optimize_calls=calls, projected_calls=plan.projected_calls,
        demos=[len(p.demos) for _, p in compiled.named_predictors()], compiled=str(path), ex_reloaded=reloaded)
    summary.write(out / "summary.json")
    return summary


def recheck_in_fresh_process(questions: Path, db_dir: str | Path, compiled: Path, *, lm: str, out: Path) -> float:
    """EX of ``compiled`` on ``questions``, evaluated by ``workbench eval text2sql`` in a new Python process."""
    command = [sys.executable, "-m", "workbench.cli", "eval", "text2sql", "--questions", str(questions),
               "--db-dir", str(db_dir), "--lm", lm, "--compiled", str(compiled), "--no-duckdb", "--no-log",
               "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Re-evaluating {compiled} in a fresh process failed ({done.returncode}):\n"
                           f"{done.stderr[-2000:]}")
    return float(json.loads((out / "summary.json").read_text())["ex"])


def _time_one_call(model: Any, example: Any, chain_of_thought: bool) -> float:
    """Seconds of one uncached text2sql call on ``model`` (the second of two, so loading is not counted)."""
    from workbench.lm import lm_context
    from workbench.programs.text2sql import Text2SQL

    program = Text2SQL(chain_of_thought)
    seconds = 0.0
    for rollout in (1, 2):
        started = time.perf_counter()
        with lm_context(model):
            program(**example.inputs(), config={"rollout_id": 10_000 + rollout, "temperature": 0.01})
        seconds = time.perf_counter() - started
    return max(seconds, 0.05)


def _fingerprint(examples: list[Text2SQLExample]) -> str:
    import hashlib

    text = "\n".join(f"{e.db_id}\t{e.question}\t{e.query}" for e in examples)
    return f"sha256:{hashlib.sha256(text.encode()).hexdigest()[:16]} ({len(examples)} questions)"
