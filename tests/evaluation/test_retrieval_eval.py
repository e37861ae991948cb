"""The retrieval harness: TREC run, metrics, MLflow run, no qrels, BEIR files by path; the SciFact regression."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from workbench.evaluation.retrieval_eval import evaluate_retrieval
from workbench.retrieval.index import RetrievalConfig

# Hybrid nDCG@10 measured on the fixed 30-claim SciFact sample (tests/conftest.py) is 0.8616.
SAMPLE_HYBRID_NDCG = 0.84


def _write_beir(folder, corpus, queries, qrels):
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "corpus.jsonl").open("w") as out:
        for d in corpus.documents:
            out.write(json.dumps({"_id": d.id, "title": d.title, "text": d.text}) + "\n")
    with (folder / "queries.jsonl").open("w") as out:
        for q in queries:
            out.write(json.dumps({"_id": q.id, "text": q.text}) + "\n")
    with (folder / "qrels.tsv").open("w") as out:
        out.write("query-id\tcorpus-id\tscore\n")
        for qid, docs in qrels.items():
            for doc, grade in docs.items():
                out.write(f"{qid}\t{doc}\t{grade}\n")
    return folder


def test_hybrid_on_the_scifact_sample_writes_trec_run_metrics_and_one_mlflow_run(scifact_sample, tmp_path,
                                                                                  settings):
    corpus, queries, qrels = scifact_sample
    metrics = evaluate_retrieval(corpus, queries, tmp_path / "out", qrels=qrels, method="hybrid",
                                 config=RetrievalConfig(), index_cache=False, settings=settings, progress=False)
    assert metrics["ndcg@10"] >= SAMPLE_HYBRID_NDCG
    for key in ("ndcg@10", "recall@100", "mrr@10", "n", "latency_ms_p50", "latency_ms_p95", "index_build_s"):
        assert key in metrics
    assert metrics["n"] == 30 and metrics["index_build_s"] > 0
    lines = (tmp_path / "out" / "run.trec").read_text().splitlines()
    first = lines[0].split()
    assert len(first) == 6 and first[0] == queries[0].id and first[1] == "Q0" and first[3] == "1"
    assert first[5] == "workbench-hybrid"
    per_query = [line for line in lines if line.split()[0] == queries[0].id]
    assert len(per_query) == min(100, len(corpus))
    assert [int(line.split()[3]) for line in per_query] == list(range(1, len(per_query) + 1))
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["ndcg@10"] == metrics["ndcg@10"]

    import mlflow

    mlflow.set_tracking_uri(settings.tracking_uri)
    runs = mlflow.search_runs(experiment_names=["retrieval-eval"])
    assert len(runs) == 1 and runs["metrics.ndcg_at_10"][0] == metrics["ndcg@10"]


def test_limit_scores_only_the_queries_searched(scifact_sample, tmp_path, settings):
    corpus, queries, qrels = scifact_sample
    metrics = evaluate_retrieval(corpus, queries, tmp_path / "out", qrels=qrels, method="bm25", limit=4,
                                 config=RetrievalConfig(), settings=settings, log=False, progress=False)
    assert metrics["n"] == 4
    assert len((tmp_path / "out" / "per_query.jsonl").read_text().splitlines()) == 4


def test_without_qrels_only_the_run_is_written(scifact_sample, tmp_path, settings):
    corpus, queries, _ = scifact_sample
    metrics = evaluate_retrieval(corpus, queries[:3], tmp_path / "out", method="bm25", config=RetrievalConfig(),
                                 settings=settings, log=False, progress=False)
    assert "ndcg@10" not in metrics and metrics["n"] == 3
    assert (tmp_path / "out" / "run.trec").is_file() and not (tmp_path / "out" / "per_query.jsonl").exists()


def test_cli_runs_on_beir_files_given_by_path_and_reuses_the_cached_index(scifact_sample, tmp_path):
    corpus, queries, qrels = scifact_sample
    folder = _write_beir(tmp_path / "beir", corpus, queries[:5], {q.id: qrels[q.id] for q in queries[:5]})
    env_cmd = [sys.executable, "-m", "workbench.cli", "eval", "retrieval", "--corpus", str(folder / "corpus.jsonl"),
               "--queries", str(folder / "queries.jsonl"), "--qrels", str(folder / "qrels.tsv"), "--no-log"]
    env = {"WORKBENCH_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([*env_cmd, "--method", "dense", "--out", str(tmp_path / "a")], capture_output=True,
                           text=True, timeout=300, env=env)
    assert first.returncode == 0, first.stderr
    assert "nDCG@10" in first.stdout and "on 5 queries" in first.stdout
    second = subprocess.run([*env_cmd, "--method", "bm25", "--out", str(tmp_path / "b")], capture_output=True,
                            text=True, timeout=300, env=env)
    assert second.returncode == 0 and "index from cache" in second.stdout


def test_mismatched_files_and_bad_method_are_refused(scifact_sample, tmp_path, settings):
    corpus, queries, _ = scifact_sample
    with pytest.raises(ValueError, match="None of the queries"):
        evaluate_retrieval(corpus, queries, tmp_path, qrels={"other": {"x": 1}}, settings=settings, log=False)
    with pytest.raises(ValueError, match="Unknown method 'splade'"):
        evaluate_retrieval(corpus, queries, tmp_path, method="splade", settings=settings, log=False)
