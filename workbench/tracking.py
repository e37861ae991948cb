"""MLflow tracking: every run of the workbench lands in one local (or remote) MLflow store.

The default store is SQLite in the project folder (``sqlite:///<home>/mlflow.db``;
MLflow 3 refuses the plain ``file:`` store) with artifacts beside it in
``<home>/mlartifacts``. Set ``WORKBENCH_MLFLOW_URI`` for a remote server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import tempfile
from collections.abc import Iterator
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
              tags: dict[str, str] | None = None) -> Iterator[mlflow.ActiveRun]:
    """Start an MLflow run in ``experiment`` (created if needed) and yield it."""
    import mlflow

    use_experiment(experiment, settings)
    with mlflow.start_run(run_name=run_name, tags=tags) as run:
        yield run


def log_records(records: list[dict[str, Any]], name: str) -> None:
    """Log a list of JSON-able records as a JSON-lines artifact of the active run."""
    import mlflow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text("".join(json.dumps(r, default=str) + "\n" for r in records))
        mlflow.log_artifact(str(path))
