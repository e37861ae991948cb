"""Run an experiment spec: one MLflow parent run, one nested child run per cell, DSPy calls traced.

Each cell runs the workbench's own evaluation (``evaluate_text2sql`` or
``evaluate_retrieval``) into ``OUT/<cell label>/`` and logs its parameters,
metrics (the cell's score, wall time, tokens) and result files to its child
run. ``mlflow.dspy`` autologging is on while text2sql cells run, so every
DSPy program call becomes an MLflow trace attached to the cell's run.

The budget (``max_minutes``, ``max_tokens``) is checked before every cell,
and a text2sql cell also stops between questions at the time limit; what
finished is kept and logged, what did not is marked ``skipped``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.experiments.spec import Cell, Spec, load_spec

PARENT_TAG = "workbench.experiment"


@dataclass
class CellResult:
    """What one cell produced: its status (``done``, ``failed``, ``skipped``, ``stopped``), metrics and run."""

    cell: Cell
    status: str
    metrics: dict[str, float] = field(default_factory=dict)
    run_id: str = ""
    error: str = ""


@dataclass
class ExperimentRun:
    """A finished (or budget-stopped) experiment: the parent run and every cell's result."""

    spec: Spec
    parent_run_id: str
    results: list[CellResult]
    wall_s: float
    stopped: str = ""

    def __repr__(self) -> str:
        done = sum(r.status == "done" for r in self.results)
        stop = f", stopped: {self.stopped}" if self.stopped else ""
        return (f"ExperimentRun({self.spec.name!r}, {done}/{len(self.results)} cells done in {self.wall_s:.0f} s, "
                f"parent run {self.parent_run_id}{stop})")


def run_experiment(spec: str | Path | Spec, *, out: str | Path | None = None, settings: Settings | None = None,
                   progress: bool = True, echo: Any = print) -> ExperimentRun:
    """Run every cell of ``spec`` under one MLflow parent run; returns what each produced."""
    from workbench.tracking import log, start_run

    settings = settings or get_settings()
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    out = Path(out) if out else settings.home / "outputs" / "experiments" / spec.name
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    deadline = started + 60 * spec.max_minutes if spec.max_minutes else None
    results: list[CellResult] = []
    tokens = 0
    stopped = ""
    with start_run(spec.name, run_name=f"{spec.name}-{time.strftime('%Y%m%d-%H%M%S')}", settings=settings,
                   tags={PARENT_TAG: spec.name, "workbench.role": "parent"}) as parent:
        log(params={"spec": str(spec.path), "cells": len(spec.cells), "max_minutes": spec.max_minutes,
                    "max_tokens": spec.max_tokens}, artifacts=[spec.path])
        for i, cell in enumerate(spec.cells, 1):
            if not stopped:
                stopped = _over_budget(spec, deadline, tokens)
            if stopped:
                results.append(CellResult(cell, "skipped", error=stopped))
                continue
            echo(f"[{i}/{len(spec.cells)}] {cell.label}")
            result = _run_cell(spec.name, cell, out / cell.label, settings, deadline, progress)
            tokens += int(result.metrics.get("tokens_total", 0))
            results.append(result)
            echo(f"    {result.status}: " + ", ".join(f"{k} {v:g}" for k, v in result.metrics.items()
                                                     if k in ("ex", "ndcg_at_10", "wall_s")) + (
                f" {result.error}" if result.error else ""))
            if result.status == "stopped":
                stopped = result.error
        wall = time.monotonic() - started
        log(metrics={"wall_s": round(wall, 1), "tokens_total": tokens,
                     **{f"cells_{s}": sum(r.status == s for r in results)
                        for s in ("done", "failed", "skipped", "stopped")}},
            tags={"workbench.stopped": stopped} if stopped else None,
            records={"cells.jsonl": [{"label": r.cell.label, "status": r.status, "metrics": r.metrics,
                                      "run_id": r.run_id, "error": r.error, **r.cell.params()} for r in results]})
    run = ExperimentRun(spec, parent.info.run_id, results, wall, stopped)
    (out / "experiment.json").write_text(json.dumps({"parent_run_id": run.parent_run_id, "stopped": stopped,
                                                     "wall_s": round(wall, 1),
                                                     "cells": [{"label": r.cell.label, "status": r.status,
                                                                "metrics": r.metrics, "error": r.error}
                                                               for r in results]}, indent=1) + "\n")
    return run


def _over_budget(spec: Spec, deadline: float | None, tokens: int) -> str:
    if deadline is not None and time.monotonic() >= deadline:
        return f"time budget of {spec.max_minutes} min spent"
    if spec.max_tokens is not None and tokens >= spec.max_tokens:
        return f"token budget of {spec.max_tokens} spent ({tokens} used)"
    return ""


def _run_cell(experiment: str, cell: Cell, out: Path, settings: Settings, deadline: float | None,
              progress: bool) -> CellResult:
    from workbench.tracking import log, start_run

    run_id = ""
    try:
        with start_run(experiment, run_name=cell.label, settings=settings, tags={"workbench.role": "cell"},
                       nested=True) as run:
            run_id = run.info.run_id
            log(params=cell.params())
            started = time.perf_counter()
            try:
                if cell.kind == "text2sql":
                    metrics, stopped = _text2sql_cell(cell, out, settings, deadline, progress)
                else:
                    metrics, stopped = _retrieval_cell(cell, out, settings, progress), False
            except Exception as exc:
                log(tags={"workbench.error": f"{type(exc).__name__}: {exc}"[:500]})
                raise  # the run ends as FAILED
            metrics["wall_s"] = round(time.perf_counter() - started, 1)
            log(metrics=metrics, artifacts=sorted(out.glob("*.json*")),
                tags={"workbench.stopped": "time budget spent during the cell; finished questions scored"}
                if stopped else None)
    except Exception as exc:  # one broken cell must not lose the others
        return CellResult(cell, "failed", run_id=run_id, error=f"{type(exc).__name__}: {exc}")
    return CellResult(cell, "stopped" if stopped else "done", metrics, run_id,
                      "time budget spent during the cell" if stopped else "")


def _text2sql_cell(cell: Cell, out: Path, settings: Settings, deadline: float | None,
                   progress: bool) -> tuple[dict[str, float], bool]:
    from workbench.evaluation.text2sql_eval import EVAL_ROW_LIMIT, GOLD_TIMEOUT_S, evaluate_text2sql
    from workbench.programs.variants import text2sql_variant
    from workbench.sql.text2sql import Text2SQLOptions
    from workbench.tracking import dspy_traces, log

    variant = text2sql_variant(cell.variant)
    options = Text2SQLOptions(row_limit=EVAL_ROW_LIMIT, timeout_s=GOLD_TIMEOUT_S, **variant["options"])
    log(params=options.as_params())
    with dspy_traces():
        s = evaluate_text2sql(cell.data["questions"], cell.data["db_dir"], out, lm=cell.lm, limit=cell.sample,
                              seed=cell.seed, options=options, duckdb=False, compiled=variant["compiled"],
                              deadline=deadline, settings=settings, log=False, progress=progress)
    log(params={"compiled": s.compiled or "zero-shot"})
    tokens = s.tokens
    metrics = {"ex": s.ex, "n": s.n, "seconds_p50": s.seconds_p50, "seconds_p95": s.seconds_p95,
               "repaired": s.repaired, "tokens_prompt": tokens["prompt_tokens"],
               "tokens_completion": tokens["completion_tokens"],
               "tokens_total": tokens["prompt_tokens"] + tokens["completion_tokens"],
               **{f"ex_{h}": v for h, v in s.ex_by_hardness.items()}}
    return metrics, s.stopped_early


def _retrieval_cell(cell: Cell, out: Path, settings: Settings, progress: bool) -> dict[str, float]:
    import dataclasses

    from workbench.evaluation.retrieval_eval import evaluate_retrieval
    from workbench.retrieval.index import RetrievalConfig

    config = dataclasses.replace(RetrievalConfig.from_settings(settings), **cell.settings)
    m = evaluate_retrieval(cell.data["corpus"], cell.data["queries"], out, qrels=cell.data["qrels"],
                           method=cell.method, limit=cell.sample, config=config, settings=settings, log=False,
                           progress=progress)
    figures = ("ndcg_at_10", "recall_at_100", "mrr_at_10", "n", "latency_ms_p50", "latency_ms_p95", "index_build_s")
    return {name: float(getattr(m, name)) for name in figures if getattr(m, name) is not None}
