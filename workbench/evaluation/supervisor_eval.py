"""``workbench eval supervisor``: the whole supervisor, end to end, on questions with known answers.

Each question runs through a real ``Supervisor``: plan, select, execute,
the grounded evaluator, iteration while its probability is below the
threshold, and the answer written and checked for faithfulness. Spider-format
questions get a ``DataAnalysisAgent`` over their database; BEIR queries (with
``corpus``/``queries``/``qrels``) an ``InformationRetrievalAgent``.

Per question (``results.jsonl``): the SQL the final answer rests on and its
execution accuracy by Spider's rules (``correct``), the same for the first
iteration's SQL (``correct_first``), whether the answer is faithful to its
evidence and complete, how it was written (draft, rewrite, template), the
evaluator's probability for the answer and for the first iteration,
iterations, LM calls, tokens and seconds. For a retrieval query: nDCG@10 of
the sources the answer rests on.

``summary.json``: ``ex``, ``ex_first_iteration``, ``faithful_rate``,
``complete_rate``, ``evaluator_auc`` and ``evaluator_brier`` (the final
probability against the final SQL's correctness), ``evaluator_auc_first``,
``iterations_mean``, ``lm_calls_mean``, ``seconds_p50``, ``seconds_p95``,
``n``, and ``ndcg@10`` with retrieval queries. One MLflow run (experiment
``supervisor-eval``).

``held_out_seed`` keeps the questions of the databases that
``workbench optimize evaluator`` held out with that seed, so the evaluator
is measured on databases it was not fitted on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary, figure


@dataclass(frozen=True, kw_only=True, eq=False)
class SupervisorEvalSummary(Summary):
    """What ``evaluate_supervisor`` measured (``summary.json``; see the module docstring)."""

    HEADLINE = ("n", "ex", "ex_first_iteration", "faithful_rate", "complete_rate", "evaluator_auc",
                "evaluator_brier", "iterations_mean", "lm_calls_mean", "seconds_p50", "seconds_p95", "lm")

    ex: float | None
    ex_first_iteration: float | None
    faithful_rate: float | None
    complete_rate: float | None
    evaluator_auc: float | None
    evaluator_brier: float | None
    evaluator_auc_first: float | None
    iterations_mean: float
    lm_calls_mean: float
    tokens_mean: float
    seconds_p50: float
    seconds_p95: float
    n: int
    n_sql: int
    n_retrieval: int
    written: dict[str, int]
    threshold: float
    max_iterations: int
    planner: str
    judge: str
    lm: str
    lm_cache: bool
    held_out_dbs: list[str] | None
    wall_s: float
    ndcg_at_10: float | None = figure(key="ndcg@10", optional=True)

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"supervisor end to end: {self.lm}, {self.n} questions"


def evaluate_supervisor(out: str | Path, *, questions: str | Path | None = None, db_dir: str | Path | None = None,
                        corpus: str | Path | None = None, queries: str | Path | None = None,
                        qrels: str | Path | None = None, lm: Any = None, planner: str = "router",
                        judge: str = "grounded", threshold: float | None = None, max_iterations: int | None = None,
                        limit: int | None = None, seed: int | None = None, held_out_seed: int | None = None,
                        cache: bool = True, settings: Settings | None = None, log: bool = True,
                        progress: bool = True) -> SupervisorEvalSummary:
    """Run every question through the supervisor; write ``results.jsonl`` and ``summary.json``; log to MLflow."""
    from tqdm.auto import tqdm

    from workbench.lm import resolve_lm

    settings = settings or get_settings()
    if questions is None and queries is None:
        raise InputError("Nothing to evaluate: pass --questions with --db-dir (Spider format) and/or --corpus, "
                         "--queries and --qrels (BEIR format)")
    if questions is not None and db_dir is None:
        raise InputError(f"--questions {questions} needs --db-dir, the folder holding <db_id>/<db_id>.sqlite")
    if queries is not None and (corpus is None or qrels is None):
        raise InputError(f"--queries {queries} needs --corpus and --qrels (BEIR files)")
    items, held = _items(questions, queries, limit, seed, held_out_seed)
    if not items:
        raise InputError("No questions left to evaluate; check the files, --limit and --held-out-seed")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = resolve_lm(lm, settings=settings, cache=cache)
    writer_lm = resolve_lm(lm, settings=settings, cache=cache, slot="supervisor")  # its own prompt cache
    threshold = settings.supervisor_threshold if threshold is None else threshold
    max_iterations = max_iterations or settings.supervisor_max_iterations
    runner = _Runner(db_dir, corpus, qrels, model, writer_lm, planner, judge, threshold, max_iterations, settings)
    records = []
    started = time.perf_counter()
    with (out / "results.jsonl").open("w", encoding="utf-8") as lines:
        for item in tqdm(items, desc="supervisor eval", unit="q", disable=not progress):
            record = runner.run(item)
            records.append(record)
            lines.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            lines.flush()
    summary = SupervisorEvalSummary(
        **summarise(records), threshold=threshold, max_iterations=max_iterations, planner=planner, judge=judge,
        lm=lm if isinstance(lm, str) else getattr(model, "model", str(model)), lm_cache=cache,
        held_out_dbs=sorted(held) if held is not None else None, wall_s=round(time.perf_counter() - started, 1))
    summary.write(out / "summary.json")
    if log:
        _log(summary, out, settings)
    return summary


def _items(questions: str | Path | None, queries: str | Path | None, limit: int | None, seed: int | None,
           held_out_seed: int | None) -> tuple[list[dict[str, Any]], set[str] | None]:
    """The questions to run (SQL first, then retrieval), after the held-out filter, shuffle and limit."""
    from workbench.evaluation.beir import load_queries
    from workbench.evaluation.spider import load_questions, select
    from workbench.optimize.evaluator import split_databases

    items: list[dict[str, Any]] = []
    held = None
    if questions is not None:
        examples = load_questions([questions])
        if held_out_seed is not None:
            held = split_databases([e.db_id for e in examples], seed=held_out_seed)
            examples = [e for e in examples if e.db_id in held]
        items += [{"kind": "sql", "example": e} for e in _in_passes(select(examples, limit, seed))]
    if queries is not None:
        chosen = load_queries(queries)
        if seed is not None:
            import random

            random.Random(seed).shuffle(chosen)
        items += [{"kind": "retrieval", "query": q} for q in (chosen[:limit] if limit else chosen)]
    return items, held


def _in_passes(examples: list[Any], passes: int = 2) -> list[Any]:
    """The questions database by database (so a schema's prompt prefix stays cached), in ``passes`` rounds over
    the databases, each taking its share of every database's questions: a run stopped after a round has a sample
    of every database."""
    by_db: dict[str, list[Any]] = {}
    for example in examples:
        by_db.setdefault(example.db_id, []).append(example)
    ordered = []
    for round_ in range(passes):
        for db_id in sorted(by_db):
            group = by_db[db_id]
            size = -(-len(group) // passes)
            ordered += group[round_ * size:(round_ + 1) * size]
    return ordered


class _Runner:
    """One supervisor per database (and one for the corpus), reused across questions."""

    def __init__(self, db_dir: Any, corpus: Any, qrels: Any, lm: Any, writer_lm: Any, planner: str, judge: str,
                 threshold: float, max_iterations: int, settings: Settings) -> None:
        self.db_dir, self.corpus, self.lm, self.planner, self.judge = db_dir, corpus, lm, planner, judge
        self.writer_lm = writer_lm
        self.threshold, self.max_iterations, self.settings = threshold, max_iterations, settings
        self.qrels: dict[str, dict[str, int]] = {}
        if qrels is not None:
            from workbench.evaluation.beir import load_qrels

            self.qrels = load_qrels(qrels)
        self._supervisors: dict[str, Any] = {}
        self._gold: dict[tuple[str, str], Any] = {}
        self._databases: dict[Path, Any] = {}  # opened once per database, for scoring

    def supervisor(self, key: str, make_agent: Any) -> Any:
        from workbench.supervisor.supervisor import Supervisor

        if key not in self._supervisors:
            self._supervisors[key] = Supervisor([make_agent()], lm=self.writer_lm, planner=self.planner,
                                                judge=self.judge,
                                                sessions=":memory:", settings=self.settings,
                                                threshold=self.threshold, max_iterations=self.max_iterations)
        return self._supervisors[key]

    def run(self, item: dict[str, Any]) -> dict[str, Any]:
        if item["kind"] == "sql":
            return self._sql(item["example"])
        return self._retrieval(item["query"])

    def _sql(self, example: Any) -> dict[str, Any]:
        from workbench.agents.data_analysis import DataAnalysisAgent
        from workbench.evaluation.spider import database_path

        path = database_path(self.db_dir, example.db_id)
        sup = self.supervisor(example.db_id, lambda: DataAnalysisAgent(path, lm=self.lm))
        started = time.perf_counter()
        result = sup.run(example.question)
        seconds = time.perf_counter() - started
        final = _record(result, result.answer_keys, "data_analysis")
        first = _record(result, [k for k, r in result.records.items() if r["iteration"] == 0], "data_analysis")
        sql = (final or {}).get("payload", {}).get("sql", "")
        first_sql = (first or {}).get("payload", {}).get("sql", "")
        correct = self._correct(example, path, sql) if final and final["ok"] else False
        correct_first = (correct if first_sql == sql else self._correct(example, path, first_sql)) \
            if first and first["ok"] else False
        return {"kind": "sql", "index": example.index, "db_id": example.db_id, "question": example.question,
                "gold": example.query, "sql": sql, "correct": correct, "sql_first": first_sql,
                "correct_first": correct_first, "p": (final or {}).get("score"), "p_first": (first or {}).get("score"),
                "failed_checks": [c["name"] for c in (final or {}).get("payload", {}).get("checks", [])
                                  if not c["passed"]],
                **_common(result, seconds)}

    def _correct(self, example: Any, path: Path, sql: str) -> bool:
        from workbench.evaluation.metrics import gold_is_ordered, results_match
        from workbench.evaluation.text2sql_eval import gold_rows
        from workbench.sql.database import Database

        if not sql:
            return False
        key = (example.db_id, example.query)
        if key not in self._gold:
            self._gold[key] = (gold_rows(path, example.query), gold_is_ordered(example.query))
        gold, ordered = self._gold[key]
        try:
            if path not in self._databases:
                self._databases[path] = Database.open(path)
            rows = self._databases[path].execute(sql, row_limit=100_000, timeout_s=30).rows
        except Exception:
            return False
        return results_match(gold, rows, ordered=ordered)

    def _retrieval(self, query: Any) -> dict[str, Any]:
        from workbench.agents.retrieval import InformationRetrievalAgent
        from workbench.evaluation.retrieval_metrics import ndcg_at_k

        def make() -> Any:
            from workbench.retrieval.cache import cached_index
            from workbench.retrieval.corpus import Corpus

            index, _ = cached_index(Corpus.from_beir(self.corpus), settings=self.settings)
            return InformationRetrievalAgent(index)

        sup = self.supervisor("__corpus__", make)
        started = time.perf_counter()
        result = sup.run(query.text)
        seconds = time.perf_counter() - started
        final = _record(result, result.answer_keys, "retrieval")
        doc_ids = [s["doc_id"] for s in (final or {}).get("payload", {}).get("sources", [])]
        grades = self.qrels.get(query.id, {})
        return {"kind": "retrieval", "query_id": query.id, "question": query.text, "doc_ids": doc_ids,
                "ndcg@10": round(ndcg_at_k(doc_ids, grades, 10), 4) if grades else None,
                "p": (final or {}).get("score"), **_common(result, seconds)}


def _record(result: Any, keys: list[str], agent: str) -> dict[str, Any] | None:
    """The (best-scored) record of ``agent`` among ``keys``."""
    chosen = [result.records[k] for k in keys if k in result.records and result.records[k]["agent"] == agent]
    return max(chosen, key=lambda r: (r.get("score") or 0.0, r["iteration"])) if chosen else None


def _common(result: Any, seconds: float) -> dict[str, Any]:
    """What every question records: the answer, its checks, iterations, LM calls, tokens, time and errors."""
    lm = result.trace.of_kind("lm_call")
    tokens = sum(int(e.data.get("prompt_tokens", 0)) + int(e.data.get("completion_tokens", 0)) for e in lm)
    faithfulness = result.faithfulness or {}
    return {"answer": result.answer, "faithful": faithfulness.get("faithful"),
            "complete": faithfulness.get("complete"), "written": faithfulness.get("how", ""),
            "unsupported": faithfulness.get("unsupported", []), "missing": faithfulness.get("missing", []),
            "score": result.score, "iterations": result.iterations, "lm_calls": len(lm),
            "cache_hits": len(result.trace.of_kind("cache_hit")), "tokens": tokens, "seconds": round(seconds, 3),
            "errors": result.errors}


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary figures of ``records`` (see the module docstring)."""
    from collections import Counter

    from workbench.supervisor.calibration import auc, brier

    sql = [r for r in records if r["kind"] == "sql"]
    retrieval = [r for r in records if r["kind"] == "retrieval"]

    def rate(values: list[Any]) -> float | None:
        known = [bool(v) for v in values if v is not None]
        return round(sum(known) / len(known), 4) if known else None

    scored = [r for r in sql if r["p"] is not None]
    scored_first = [r for r in sql if r["p_first"] is not None]
    ndcg = [r["ndcg@10"] for r in retrieval if r.get("ndcg@10") is not None]
    seconds = [r["seconds"] for r in records]
    return {
        "ex": rate([r["correct"] for r in sql]), "ex_first_iteration": rate([r["correct_first"] for r in sql]),
        "faithful_rate": rate([r["faithful"] for r in records]),
        "complete_rate": rate([r["complete"] for r in records]),
        "evaluator_auc": auc([r["p"] for r in scored], [int(r["correct"]) for r in scored]) if scored else None,
        "evaluator_brier": brier([r["p"] for r in scored], [int(r["correct"]) for r in scored]) if scored else None,
        "evaluator_auc_first": auc([r["p_first"] for r in scored_first],
                                   [int(r["correct_first"]) for r in scored_first]) if scored_first else None,
        "iterations_mean": round(sum(r["iterations"] for r in records) / len(records), 3),
        "lm_calls_mean": round(sum(r["lm_calls"] for r in records) / len(records), 3),
        "tokens_mean": round(sum(r["tokens"] for r in records) / len(records), 1),
        "seconds_p50": round(percentile(seconds, 0.5), 3), "seconds_p95": round(percentile(seconds, 0.95), 3),
        "n": len(records), "n_sql": len(sql), "n_retrieval": len(retrieval),
        "written": dict(Counter(r["written"] or "none" for r in records)),
        "ndcg_at_10": round(sum(ndcg) / len(ndcg), 4) if ndcg else None,
    }


def _log(s: SupervisorEvalSummary, out: Path, settings: Settings) -> None:
    from workbench.tracking import log_run

    metrics = {k: float(s[k]) for k in ("ex", "ex_first_iteration", "faithful_rate", "complete_rate",
                                        "evaluator_auc", "evaluator_brier", "evaluator_auc_first",
                                        "iterations_mean", "lm_calls_mean", "tokens_mean", "seconds_p50",
                                        "seconds_p95", "n", "wall_s", "ndcg@10") if s.get(k) is not None}
    log_run("supervisor-eval", run_name=f"supervisor-{s.lm}-n{s.n}", settings=settings,
            params={k: s[k] for k in ("lm", "planner", "judge", "threshold", "max_iterations", "lm_cache")},
            metrics=metrics, artifacts=[out / name for name in ("results.jsonl", "summary.json")])
