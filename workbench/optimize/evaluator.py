"""``workbench optimize evaluator``: fit the grounded evaluator's model on Spider-format data, split by database.

Two stages, each its own command so the slow one runs once:

1. ``collect_signals``: every question goes through the text2sql pipeline
   with ``candidates`` queries (the greedy one, then sampled ones). For the
   first two (what the data agent runs by default) and for all of them (what
   a retry by voting runs) it records the checks of ``workbench.sql.checks``
   and whether the chosen SQL is right by Spider's rules. One line per
   question in ``signals.jsonl``; an interrupted run resumes.
2. ``fit_evaluator``: a logistic model is cross-validated leaving one
   database out at a time (AUC, Brier), the retry threshold is chosen on
   those held-out scores, and the model refitted on every question is saved:
   ``workbench/supervisor/evaluator_model.json`` by default, with the
   cross-validated figures in its ``meta``.

``collect --split-seed S`` (default 0) runs only the databases that
``split_databases(seed=S)`` does not hold out, so ``workbench eval supervisor
--held-out-seed S`` measures the evaluator on databases it never saw.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError, MissingInputError
from workbench.evaluation.spider import Text2SQLExample, database_path, load_questions, select

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "supervisor" / "evaluator_model.json"


def collect_signals(questions: str | Path | list[str | Path], db_dir: str | Path, out: str | Path, *,
                    lm: Any = None, candidates: int = 4, limit: int | None = None, seed: int | None = None,
                    split_seed: int | None = None, cache: bool = True, settings: Settings | None = None,
                    progress: bool = True) -> Path:
    """Run every question with ``candidates`` SQL candidates and write ``OUT/signals.jsonl`` (see the module).

    With ``split_seed``, only the questions of the databases ``split_databases(seed=split_seed)`` does not hold
    out are run: the training half, leaving the other half unseen for ``workbench eval supervisor``.
    """
    from tqdm.auto import tqdm

    from workbench.evaluation.metrics import gold_is_ordered, results_match
    from workbench.evaluation.text2sql_eval import gold_rows
    from workbench.lm import resolve_lm
    from workbench.sql.checks import sql_checks
    from workbench.sql.database import Database
    from workbench.sql.text2sql import SQLOutcome, SQLWriter, Text2SQLOptions, choose

    settings = settings or get_settings()
    examples = load_questions(questions if isinstance(questions, list) else [questions])
    if split_seed is not None:
        held = split_databases([e.db_id for e in examples], seed=split_seed)
        examples = [e for e in examples if e.db_id not in held]
    examples = select(examples, limit, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "signals.jsonl"
    lines_done = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    done = {json.loads(line)["index"] for line in lines_done if line.strip()}
    from workbench.sql.verifier import SQLVerifier

    model = resolve_lm(lm, settings=settings, cache=cache)
    verifier = SQLVerifier(lm)
    writers: dict[str, SQLWriter] = {}
    with path.open("a", encoding="utf-8") as lines:
        for example in tqdm(examples, desc="evaluator signals", unit="q", disable=not progress):
            if example.index in done:
                continue
            db_path = database_path(db_dir, example.db_id)
            if example.db_id not in writers:
                writers[example.db_id] = SQLWriter(Database.open(db_path), Text2SQLOptions(candidates=candidates),
                                                   lm=model)
            writer = writers[example.db_id]
            started = time.perf_counter()
            outcome = writer(example.question)
            seconds = time.perf_counter() - started
            gold, ordered = gold_rows(db_path, example.query), gold_is_ordered(example.query)
            right = [c.result is not None and results_match(gold, c.result.rows, ordered=ordered)
                     for c in outcome.candidates]
            views = {}
            for name, n in (("first", min(2, len(outcome.candidates))), ("vote", len(outcome.candidates))):
                view = choose(SQLOutcome(example.question, attempts=outcome.attempts,
                                         candidates=outcome.candidates[:n]))
                chosen = next((i for i, c in enumerate(view.candidates) if c.result is view.result), 0)
                signals = {c.name: c.value for c in sql_checks(example.question, writer.db, view)}
                signals["lm_check"] = lm_check(verifier, writer, example.question, view.sql)
                views[name] = {"sql": view.sql, "correct": bool(view.result is not None and right[chosen]),
                               "signals": signals}
            record = {"index": example.index, "db_id": example.db_id, "question": example.question,
                      "hardness": example.hardness, "gold": example.query, "seconds": round(seconds, 3),
                      "candidates": [{"sql": c.sql, "ran": c.result is not None, "correct": ok}
                                     for c, ok in zip(outcome.candidates, right, strict=True)], **views}
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")
            lines.flush()
    return path


def lm_check(verifier: Any, writer: Any, question: str, sql: str) -> float:
    """The ``lm_check`` signal as the data agent computes it: P(yes) for ``sql``, 0 when it does not run, 0.5 when
    the LM cannot say."""
    from workbench.sql.verifier import preview_of

    try:
        frame = writer.db.execute(sql, timeout_s=30).frame
    except Exception:
        return 0.0
    p = verifier.probability(question, writer.schema_for(question), sql, preview_of(frame))
    return 0.5 if p is None else round(p, 4)


def add_lm_check(signals: str | Path, db_dir: str | Path, *, lm: Any = None, progress: bool = True) -> Path:
    """Add the ``lm_check`` signal to signals collected without it (each view's SQL checked once; rows that have it
    are kept as they are); rewrites the file in place."""
    from tqdm.auto import tqdm

    from workbench.sql.database import Database
    from workbench.sql.text2sql import SQLWriter
    from workbench.sql.verifier import SQLVerifier

    path = Path(signals)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    verifier = SQLVerifier(lm)
    writers: dict[str, Any] = {}
    for row in tqdm(sorted(rows, key=lambda r: r["db_id"]), desc="LM check", unit="q", disable=not progress):
        if row["db_id"] not in writers:
            writers[row["db_id"]] = SQLWriter(Database.open(database_path(db_dir, row["db_id"])))
        if all("lm_check" in row[view]["signals"] for view in ("first", "vote")):
            continue
        checked: dict[str, float] = {}
        for view in ("first", "vote"):
            sql = row[view]["sql"]
            if sql not in checked:
                checked[sql] = lm_check(verifier, writers[row["db_id"]], row["question"], sql)
            row[view]["signals"]["lm_check"] = checked[sql]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def split_databases(db_ids: list[str], *, seed: int = 0, fraction: float = 0.5) -> set[str]:
    """The held-out databases: shuffled with ``seed``, the first ``fraction`` of them."""
    order = sorted(set(db_ids))
    if len(order) < 2:
        raise InputError(f"Splitting by database needs at least two databases; the data uses {order}")
    random.Random(seed).shuffle(order)
    return set(order[: max(1, round(len(order) * fraction))])


TOLERANCE = 0.01  # EX differences smaller than this do not justify more retries
MODEL_SIGNALS = ("ran", "rows", "shape", "agreement", "lm_check")  # coverage, first_try and non_null: see fit


def fit_evaluator(signals: str | Path, *, out_model: str | Path = DEFAULT_MODEL, l2: float = 1.0,
                  features: tuple[str, ...] = MODEL_SIGNALS, settings: Settings | None = None,
                  log: bool = True) -> dict[str, Any]:
    """Cross-validate by database, choose the retry threshold, refit on every question and save the model.

    Each database's questions are scored by a model fitted on the other databases' (leave one database out);
    the pooled scores give the AUC and Brier score. The threshold is the one (from 0.05 to 0.95) whose retries
    would have given the highest EX on those scores, retrying when the first probability is below it and
    keeping the retry's answer only when it scores at least as high; among the thresholds within ``TOLERANCE``
    (one question in a hundred) of the best EX, the one nearest 0.5 wins: retry when the answer is more likely
    wrong than right, unless retrying more clearly pays. The saved model records all of
    this in its ``meta``.

    ``features`` default to the signals whose relation to correctness has one sign on visible Spider: on the 105
    training questions of 2026-12-03 ``coverage`` (AUC 0.47) and ``first_try`` (0.53) carried no information
    and ``non_null`` never varied, and fitting them only added noise (cross-validated AUC fell).
    """
    from workbench.sql.checks import SIGNALS
    from workbench.supervisor.calibration import LogisticModel, auc, brier

    unknown = sorted(set(features) - set(SIGNALS))
    if unknown:
        raise InputError(f"Unknown evaluator signals {unknown}; known: {', '.join(SIGNALS)}")

    if not Path(signals).is_file():
        raise MissingInputError(f"No signals file {signals}; run 'workbench optimize evaluator collect' first")
    rows = [json.loads(line) for line in Path(signals).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise InputError(f"{signals} holds no signals; run 'workbench optimize evaluator collect' first")
    def fit(part: list[dict[str, Any]]) -> LogisticModel:
        return LogisticModel.fit([r["first"]["signals"] for r in part], [int(r["first"]["correct"]) for r in part],
                                 list(features), l2=l2)

    databases = sorted({r["db_id"] for r in rows})
    if len(databases) < 2:
        raise InputError(f"Cross-validating by database needs at least two databases; {signals} has {databases}")
    p_first: dict[int, float] = {}
    p_vote: dict[int, float] = {}
    for db_id in databases:
        model = fit([r for r in rows if r["db_id"] != db_id])
        for i, r in enumerate(rows):
            if r["db_id"] == db_id:
                p_first[i], p_vote[i] = model.predict(r["first"]["signals"]), model.predict(r["vote"]["signals"])
    order = range(len(rows))
    labels = [int(rows[i]["first"]["correct"]) for i in order]
    scores = [p_first[i] for i in order]

    def ex_at(t: float) -> tuple[float, float]:
        right = retried = 0
        for i in order:
            retry = p_first[i] < t
            retried += retry
            use_vote = retry and p_vote[i] >= p_first[i]
            right += bool(rows[i]["vote" if use_vote else "first"]["correct"])
        return right / len(rows), retried / len(rows)

    grid = [round(0.05 * k, 2) for k in range(1, 20)]
    top = max(ex_at(t)[0] for t in grid)
    best = min((t for t in grid if ex_at(t)[0] >= top - TOLERANCE), key=lambda t: (abs(t - 0.5), t))
    ex_best, retry_rate = ex_at(best)
    figures: dict[str, Any] = {"ex_best": round(top, 4), "threshold_best": max(grid, key=lambda t: ex_at(t)[0]),
        "n": len(rows), "databases": databases, "evaluator_auc": auc(scores, labels),
        "evaluator_brier": brier(scores, labels), "ex_first": round(sum(labels) / len(labels), 4),
        "ex_vote_always": round(sum(bool(r["vote"]["correct"]) for r in rows) / len(rows), 4),
        "threshold": best, "ex_threshold": round(ex_best, 4), "retry_rate": round(retry_rate, 4),
        "signal_auc": {f: auc([r["first"]["signals"].get(f, 0.5) for r in rows], labels) for f in SIGNALS}}
    final = fit(rows)
    final.meta = {"fitted_on": str(signals), "n": len(rows), "l2": l2, "databases": databases,
                  "cross_validated": {k: figures[k] for k in ("evaluator_auc", "evaluator_brier", "ex_first",
                                                              "ex_vote_always", "threshold", "ex_threshold",
                                                              "retry_rate")},
                  "refit": "workbench optimize evaluator collect --questions Q --db-dir D --out OUT && "
                           "workbench optimize evaluator fit --signals OUT/signals.jsonl"}
    final.save(out_model)
    figures["model"] = str(out_model)
    figures["weights"] = dict(zip(final.features, final.weights, strict=True))
    if log:
        from workbench.tracking import log_run

        log_run("evaluator-fit", run_name=f"evaluator-n{len(rows)}", settings=settings or get_settings(),
                params={"signals": str(signals), "l2": l2, "databases": ",".join(databases)},
                metrics={k: float(figures[k]) for k in ("evaluator_auc", "evaluator_brier", "ex_first",
                                                        "ex_vote_always", "threshold", "ex_threshold", "retry_rate",
                                                        "n") if figures[k] is not None},
                artifacts=[Path(out_model)])
    return figures


def examples_of(rows: list[dict[str, Any]]) -> list[Text2SQLExample]:
    """The questions of collected signal rows, as examples."""
    return [Text2SQLExample(r["index"], r["db_id"], r["question"], r["gold"], r.get("hardness", "")) for r in rows]
