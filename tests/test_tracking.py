"""MLflow tracking: one call logs a finished run; a run kept open gets nested runs, tags, and FAILED on error."""

from __future__ import annotations

import json

import pytest

from workbench.tracking import log, log_run, start_run


def test_log_run_records_params_metrics_and_every_kind_of_artifact(tmp_path, settings):
    import mlflow

    summary = tmp_path / "summary.json"
    summary.write_text('{"ex": 0.5}\n')
    run_id = log_run("unit-tracking", run_name="qwen-n3", settings=settings,
                     params={"lm": "qwen", "limit": None}, metrics={"ex": 0.5, "n": 3}, artifacts=[summary],
                     records={"results.jsonl": [{"index": 0, "correct": True}, {"index": 1, "correct": False}]},
                     texts={"traces/s1.json": '{"events": []}'})

    client = mlflow.MlflowClient(settings.tracking_uri)
    run = client.get_run(run_id)
    assert run.info.run_name == "qwen-n3" and run.info.status == "FINISHED"
    assert client.get_experiment(run.info.experiment_id).name == "unit-tracking"
    assert run.data.params == {"lm": "qwen", "limit": "None"}
    assert run.data.metrics == {"ex": 0.5, "n": 3.0}
    assert {a.path for a in client.list_artifacts(run_id)} == {"summary.json", "results.jsonl", "traces"}
    assert str(settings.home.resolve()) in run.info.artifact_uri  # beside the sqlite store, not in the cwd
    folder = tmp_path / "downloaded"
    mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(folder), tracking_uri=settings.tracking_uri)
    assert [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines()] == [
        {"index": 0, "correct": True}, {"index": 1, "correct": False}]
    assert (folder / "traces" / "s1.json").read_text() == '{"events": []}'
    assert (folder / "summary.json").read_text() == '{"ex": 0.5}\n'


def test_a_nested_run_is_a_child_and_a_failing_block_ends_it_failed(settings):
    import mlflow

    with start_run("unit-grid", run_name="grid", settings=settings, tags={"workbench.role": "parent"}) as parent:
        log(params={"cells": 2})
        with start_run("unit-grid", run_name="cell-ok", settings=settings, nested=True) as ok:
            log(metrics={"ex": 1.0}, tags={"workbench.stopped": "time budget spent"})
        with pytest.raises(RuntimeError), start_run("unit-grid", run_name="cell-bad", settings=settings,
                                                    nested=True) as bad:
            log(tags={"workbench.error": "RuntimeError: boom"})
            raise RuntimeError("boom")
        log(metrics={"cells_done": 1})

    client = mlflow.MlflowClient(settings.tracking_uri)
    done, failed, top = (client.get_run(r.info.run_id) for r in (ok, bad, parent))
    assert done.data.tags["mlflow.parentRunId"] == failed.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert done.info.status == "FINISHED" and done.data.tags["workbench.stopped"] == "time budget spent"
    assert failed.info.status == "FAILED" and failed.data.tags["workbench.error"] == "RuntimeError: boom"
    assert top.data.params == {"cells": "2"} and top.data.metrics == {"cells_done": 1.0}
    assert top.data.tags["workbench.role"] == "parent"
