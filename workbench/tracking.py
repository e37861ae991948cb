"""MLflow tracking: every run of the workbench lands in one local (or remote) MLflow store.

The default store is SQLite in the project folder (``sqlite:///<home>/mlflow.db``;
MLflow 3 refuses the plain ``file:`` store) with artifacts beside it in
``<home>/mlartifacts``. Set ``WORKBENCH_MLFLOW_URI`` for a remote server.

This module is the only one that writes to MLflow. A runner that has its
figures logs them in one call, ``log_run``; one that keeps a run open while it
works (the experiment grid: a parent run, a nested run per cell) opens it with
``start_run`` and logs with ``log`` as results arrive; ``dspy_traces`` records
DSPy program calls as traces of the active run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.config import Settings, get_settings

if TYPE_CHECKING:
    import mlflow


def use_experiment(name: str, settings: Settings | None = None) -> str:
    """Point MLflow at the configured store and make ``name`` the active experiment; return its id."""
    import mlflow

    settings = settings or get_settings()
    for noisy in ("alembic", "mlflow.store.db.utils"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    mlflow.set_tracking_uri(settings.tracking_uri)
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        location = None
        if settings.tracking_uri.startswith("sqlite:"):
            location = (settings.home / "mlartifacts" / name).resolve().as_uri()
        experiment_id = mlflow.create_experiment(name, artifact_location=location)
    else:
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@contextlib.contextmanager
def start_run(experiment: str, run_name: str | None = None, settings: Settings | None = None,
              tags: Mapping[str, str] | None = None, *, nested: bool = False) -> Iterator[mlflow.ActiveRun]:
    """Start an MLflow run in ``experiment`` (created if needed) and yield it; ``nested`` puts it under the run
    that is active (which must be in the same experiment). A block that raises ends the run as FAILED."""
    import mlflow

    use_experiment(experiment, settings)
    with mlflow.start_run(run_name=run_name, tags=dict(tags) if tags else None, nested=nested) as run:
        yield run


def log(*, params: Mapping[str, Any] | None = None, metrics: Mapping[str, float] | None = None,
        artifacts: Iterable[str | Path] = (), records: Mapping[str, list[dict[str, Any]]] | None = None,
        texts: Mapping[str, str] | None = None, tags: Mapping[str, str] | None = None) -> None:
    """Log to the active run: ``params``, ``metrics``, ``artifacts`` (files, by path), ``records`` (artifact name
    → JSON-able records, written as JSON lines), ``texts`` (artifact path → text) and ``tags``."""
    import mlflow

    if params:
        mlflow.log_params(dict(params))
    if metrics:
        mlflow.log_metrics(dict(metrics))
    for path in artifacts:
        mlflow.log_artifact(str(path))
    for name, rows in (records or {}).items():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows))
            mlflow.log_artifact(str(path))
    for name, text in (texts or {}).items():
        mlflow.log_text(text, name)
    if tags:
        mlflow.set_tags(dict(tags))


def log_run(experiment: str, *, run_name: str, params: Mapping[str, Any] | None = None,
            metrics: Mapping[str, float] | None = None, artifacts: Iterable[str | Path] = (),
            records: Mapping[str, list[dict[str, Any]]] | None = None, texts: Mapping[str, str] | None = None,
            settings: Settings | None = None) -> str:
    """Log one finished run to ``experiment`` (created if needed) in one call; returns the run's id.

    ``params`` and ``metrics`` are logged as given; ``artifacts`` are files, ``records`` maps an artifact
    name to records written as JSON lines, ``texts`` maps an artifact path to its text (see ``log``).
    """
    with start_run(experiment, run_name=run_name, settings=settings) as run:
        log(params=params, metrics=metrics, artifacts=artifacts, records=records, texts=texts)
        return run.info.run_id


@contextlib.contextmanager
def dspy_traces() -> Iterator[None]:
    """Record every DSPy program call in the block as an MLflow trace of the active run (flushed at the end)."""
    import mlflow

    mlflow.dspy.autolog(log_traces=True, silent=True)
    try:
        yield
    finally:
        mlflow.dspy.autolog(disable=True)
        mlflow.flush_trace_async_logging()
