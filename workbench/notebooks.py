"""Notebooks as regression tests: run them with papermill, read the metrics they record, check thresholds.

A notebook records its key figures with ``workbench.notebooks.record(ex=0.6)``:
the figures become an output of MIME type ``METRICS_MIME`` (like scrapbook's
``glue``), so they survive in the executed notebook. ``run_notebooks("ci")``
executes every notebook in ``notebooks/`` with the parameters of that set in
``notebooks/params.yaml`` into an output folder, then ``check_thresholds``
compares what each recorded with ``notebooks/thresholds.yaml`` and returns
the failures as readable lines (``02_text2sql_eval: ex 0.35 < 0.40``).
"""

from __future__ import annotations

import json
import operator
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import InputError

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
METRICS_MIME = "application/vnd.workbench.metrics+json"
OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def record(**metrics: Any) -> None:
    """Record figures in the running notebook's output (read back by ``read_metrics``)."""
    from IPython.display import display

    display({METRICS_MIME: metrics, "text/plain": "recorded: " + ", ".join(f"{k}={v}" for k, v in metrics.items())},
            raw=True)


def read_metrics(path: str | Path) -> dict[str, Any]:
    """Every figure a notebook recorded (later records of a name win)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    found: dict[str, Any] = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if METRICS_MIME in data:
                found.update(data[METRICS_MIME])
    return found


@dataclass
class NotebookRun:
    """One executed notebook: where it went, how long it took, what it recorded, and its error if it failed."""

    name: str
    output: Path
    seconds: float
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def parameter_sets(folder: Path = NOTEBOOKS) -> dict[str, dict[str, dict[str, Any]]]:
    """``params.yaml``: set name → notebook name (or ``all``) → parameters."""
    import yaml

    path = folder / "params.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def run_notebooks(params: str = "ci", *, out: str | Path = "outputs/notebooks", names: list[str] | None = None,
                  folder: Path = NOTEBOOKS, timeout_s: int = 1200, progress: bool = True) -> list[NotebookRun]:
    """Execute each notebook (all ``NN_*.ipynb`` in ``folder``, or ``names``) with the ``params`` set."""
    import papermill as pm

    sets = parameter_sets(folder)
    if params not in sets:
        raise InputError(f"No parameter set {params!r} in {folder / 'params.yaml'}; sets: {', '.join(sets) or 'none'}")
    chosen = sets[params] or {}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if names:
        unknown = sorted(set(names) - {p.stem for p in paths})
        if unknown:
            raise InputError(f"No notebooks named {unknown} in {folder}")
        paths = [p for p in paths if p.stem in names]
    runs = []
    for path in paths:
        parameters = {**(chosen.get("all") or {}), **(chosen.get(path.stem) or {})}
        target = out / path.name
        started = time.perf_counter()
        error = ""
        try:
            pm.execute_notebook(str(path), str(target), parameters=parameters, cwd=str(folder),
                                kernel_name="python3", progress_bar=progress, execution_timeout=timeout_s)
        except Exception as exc:  # keep going: every notebook's result is reported
            error = f"{type(exc).__name__}: {str(exc)[-1500:]}"
        seconds = time.perf_counter() - started
        metrics = read_metrics(target) if target.is_file() else {}
        runs.append(NotebookRun(path.stem, target, round(seconds, 1), metrics, error))
    (out / "metrics.json").write_text(json.dumps({r.name: {"seconds": r.seconds, "metrics": r.metrics,
                                                           "error": r.error} for r in runs}, indent=1) + "\n")
    return runs


def check_thresholds(runs: list[NotebookRun], thresholds: str | Path | None = None) -> list[str]:
    """Failures as readable lines: a notebook that raised, a figure missing, or a figure past its threshold.

    ``thresholds.yaml`` maps a notebook name to ``{figure: ">= 0.4"}``.
    """
    import yaml

    path = Path(thresholds) if thresholds else NOTEBOOKS / "thresholds.yaml"
    limits = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    failures = []
    for run in runs:
        if run.error:
            failures.append(f"{run.name}: failed: {run.error.strip().splitlines()[-1] if run.error.strip() else ''}")
            continue
        for name, rule in (limits.get(run.name) or {}).items():
            op, _, wanted = str(rule).partition(" ")
            if op not in OPERATORS:
                raise InputError(f"{path}: {run.name}.{name}: rule {rule!r} must be '<op> <number>', op in "
                                 f"{', '.join(OPERATORS)}")
            if name not in run.metrics:
                failures.append(f"{run.name}: {name} was not recorded (recorded: {sorted(run.metrics)})")
            elif not OPERATORS[op](float(run.metrics[name]), float(wanted)):
                failures.append(f"{run.name}: {name} = {run.metrics[name]} does not satisfy {op} {wanted}")
    return failures
