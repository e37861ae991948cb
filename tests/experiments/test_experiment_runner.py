"""Running a spec: a parent MLflow run with one child per cell, traces, a comparison, and the budget cap."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from common import SPIDER, chat_answer, recorded_lm

from workbench.experiments import compare_experiment, run_experiment


@pytest.fixture
def project(tmp_path: Path, scifact_sample) -> Path:
    """A project folder with two Spider questions, a SciFact sample in BEIR files, and a spec over both."""
    corpus, queries, qrels = scifact_sample
    beir = tmp_path / "data" / "scifact"
    beir.mkdir(parents=True)
    (beir / "corpus.jsonl").write_text("".join(json.dumps({"_id": d.id, "title": d.title, "text": d.text}) + "\n"
                                               for d in corpus.documents))
    (beir / "queries.jsonl").write_text("".join(json.dumps({"_id": q.id, "text": q.text}) + "\n" for q in queries))
    (beir / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
        f"{q}\t{d}\t{s}\n" for q, docs in qrels.items() for d, s in docs.items()))
    shutil.copytree(SPIDER / "database" / "concert_singer", tmp_path / "data" / "db" / "concert_singer")
    items = json.loads((SPIDER / "questions.json").read_text())[:2]
    (tmp_path / "data" / "q.json").write_text(json.dumps(items))
    spec = {"name": "unit-grid", "text2sql": {"variants": ["predict", "repair"], "samples": [2], "datasets": [
                {"name": "spider", "questions": "data/q.json", "db_dir": "data/db"}]},
            "retrieval": {"configs": {"weighted": {"fusion": "weighted"}, "rrf": {"fusion": "rrf"}},
                          "samples": [10], "datasets": [{"name": "scifact", "corpus": "data/scifact/corpus.jsonl",
                                                         "queries": "data/scifact/queries.jsonl",
                                                         "qrels": "data/scifact/qrels.tsv"}]}}
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "unit-grid.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path


def test_a_spec_runs_as_nested_runs_with_traces_and_compares(project, settings, monkeypatch):
    import mlflow

    lm, _ = recorded_lm([chat_answer(sql="SELECT count(*) FROM singer")])
    monkeypatch.setattr("workbench.lm.load_lm", lambda *a, **k: lm)

    run = run_experiment(project / "experiments" / "unit-grid.yaml", out=project / "out", settings=settings,
                         progress=False, echo=lambda _: None)

    assert [r.status for r in run.results] == ["done"] * 4, [r.error for r in run.results]
    client = mlflow.MlflowClient(settings.tracking_uri)
    children = client.search_runs([client.get_experiment_by_name("unit-grid").experiment_id],
                                  filter_string=f"tags.mlflow.parentRunId = '{run.parent_run_id}'")
    assert len(children) == 4
    text2sql = [c for c in children if c.data.params["kind"] == "text2sql"]
    assert all("ex" in c.data.metrics and "tokens_total" in c.data.metrics for c in text2sql)
    mlflow.flush_trace_async_logging()
    traces = mlflow.search_traces(locations=[client.get_experiment_by_name("unit-grid").experiment_id],
                                  return_type="list")
    assert traces, "mlflow.dspy autologging recorded no traces"

    comparison = compare_experiment("unit-grid", settings=settings)
    assert len(comparison.frame) == 4 and set(comparison.best) == {"text2sql", "retrieval"}
    assert comparison.best["text2sql"]["score_name"] == "ex"
    assert comparison.frame.loc[comparison.frame["kind"] == "retrieval", "score"].between(0, 1).all()
    assert "plotly" in comparison.figure.to_html(include_plotlyjs=False) or comparison.figure.data
    assert "best" in repr(comparison)


def test_a_token_budget_stops_cleanly_and_keeps_what_finished(project, settings, monkeypatch):
    lm, _ = recorded_lm([chat_answer(sql="SELECT count(*) FROM singer")])
    monkeypatch.setattr("workbench.lm.load_lm", lambda *a, **k: lm)
    spec_path = project / "experiments" / "unit-grid.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["budget"] = {"max_tokens": 1}
    spec_path.write_text(yaml.safe_dump(spec))

    run = run_experiment(spec_path, out=project / "out", settings=settings, progress=False, echo=lambda _: None)

    assert [r.status for r in run.results] == ["done", "skipped", "skipped", "skipped"]
    assert "token budget" in run.stopped and "token budget" in repr(run)
    saved = json.loads((project / "out" / "experiment.json").read_text())
    assert saved["cells"][0]["metrics"]["ex"] == run.results[0].metrics["ex"]
