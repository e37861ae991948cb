"""The command line: help, the model registry, and clear errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_the_commands():
    out = run("--help")
    assert out.returncode == 0
    for command in ("ask", "models", "demo", "bench"):
        assert command in out.stdout


def test_models_lists_both_local_models_with_sizes():
    out = run("models")
    assert out.returncode == 0, out.stderr
    assert "qwen2.5-coder-1.5b" in out.stdout and "1117.3" in out.stdout
    assert "qwen2.5-coder-0.5b" in out.stdout and "491.4" in out.stdout


def test_ask_with_a_missing_database_exits_2_and_names_the_file(tmp_path):
    out = run("ask", "How many?", "--db", str(tmp_path / "missing.duckdb"))
    assert out.returncode == 2
    assert "missing.duckdb" in out.stderr and "Traceback" not in out.stderr


def test_unknown_model_name_is_refused_with_the_registry(tmp_path):
    out = run("models", "--assemble", "gpt-5")
    assert out.returncode == 2 and "qwen2.5-coder-1.5b" in out.stderr


def test_bench_supervisor_prints_a_table_and_writes_the_summary(tmp_path):
    out = run("bench", "supervisor", "--out", str(tmp_path), "--sessions", "1,4", "--runs", "5", "--latency-ms", "10",
              "--no-log")
    assert out.returncode == 0, out.stderr
    assert "overhead per run" in out.stdout and "sessions" in out.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"overhead_ms_p50", "overhead_ms_p95", "peak_rss_mb", "concurrency"} <= set(summary)
    assert [(r["sessions"], r["agent_latency_ms"], r["errors"]) for r in summary["concurrency"]] == [(1, 10, 0),
                                                                                                    (4, 10, 0)]
    assert all(r["wall_s"] >= 0.01 for r in summary["concurrency"]) and summary["peak_rss_mb"] > 0


def test_demo_with_a_missing_corpus_exits_2_and_says_what_to_pass(tmp_path):
    out = run("demo", "--corpus", str(tmp_path / "nowhere"), "--no-log")
    assert out.returncode == 2 and "nowhere" in out.stderr and "corpus.jsonl" in out.stderr


def main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the command line in this process; returns the exit status and what it wrote to stderr."""
    from workbench.cli import main as cli_main

    status = cli_main(list(args))
    return status, capsys.readouterr().err


def one_line_error(err: str) -> str:
    assert err.startswith("workbench: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_a_missing_questions_file_exits_2_with_one_line_naming_it(tmp_path, capsys):
    status, err = main(capsys, "eval", "text2sql", "--questions", str(tmp_path / "nope.json"), "--db-dir",
                       str(tmp_path), "--out", str(tmp_path / "out"), "--no-log")
    assert status == 2 and "nope.json" in one_line_error(err)


def test_an_unknown_model_exits_2_naming_it_and_what_to_use(tmp_path, capsys):
    status, err = main(capsys, "models", "--verify", "gpt-5")
    assert status == 2 and "'gpt-5'" in one_line_error(err) and "qwen2.5-coder-0.5b" in err
    pairs = tmp_path / "pairs.json"
    pairs.write_text(json.dumps([{"input": "Say hi", "output_1": "hi", "output_2": "bye", "label": 1}]))
    status, err = main(capsys, "eval", "judge", "--pairs", str(pairs), "--lm", str(tmp_path / "absent.gguf"),
                       "--out", str(tmp_path / "out"), "--no-log")
    assert status == 2 and "absent.gguf" in one_line_error(err)


def test_a_malformed_experiment_spec_exits_2_naming_the_file_and_the_key(tmp_path, capsys):
    spec = tmp_path / "grid.yaml"
    spec.write_text("name: grid\ntext2sql: {variants: [predict], sampels: [5]}\n")
    status, err = main(capsys, "experiment", "run", str(spec), "--out", str(tmp_path / "out"))
    assert status == 2 and "grid.yaml" in one_line_error(err) and "sampels" in err
    spec.write_text("name: grid\ntext2sql: {variants: [predict\n")
    status, err = main(capsys, "experiment", "run", str(spec), "--out", str(tmp_path / "out"))
    assert status == 2 and "grid.yaml is not valid YAML" in one_line_error(err)


def test_a_malformed_count_list_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(capsys, "bench", "retrieval", "--out", str(tmp_path), "--sizes", "5k,100k")
    assert exit_.value.code == 2 and "--sizes" in capsys.readouterr().err


def test_an_unknown_reranker_exits_2_naming_it_and_the_choices(tmp_path, capsys):
    (tmp_path / "corpus.jsonl").write_text(json.dumps({"_id": "d1", "title": "t", "text": "statins lower LDL"}) + "\n")
    (tmp_path / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "do statins lower LDL?"}) + "\n")
    status, err = main(capsys, "eval", "retrieval", "--corpus", str(tmp_path / "corpus.jsonl"), "--queries",
                       str(tmp_path / "queries.jsonl"), "--method", "hybrid+rerank", "--rerank", "bogus",
                       "--out", str(tmp_path / "out"), "--no-log", "--no-index-cache")
    assert status == 2 and "'bogus'" in one_line_error(err) and "cross-encoder" in err


def test_eval_supervisor_without_a_database_folder_exits_2_naming_the_fix(tmp_path, capsys):
    status, err = main(capsys, "eval", "supervisor", "--questions", str(tmp_path / "q.json"), "--out",
                       str(tmp_path / "out"), "--no-log")
    assert status == 2 and "--db-dir" in one_line_error(err)


def test_fitting_the_evaluator_on_a_missing_signals_file_exits_2_naming_it(tmp_path, capsys):
    status, err = main(capsys, "optimize", "evaluator", "fit", "--signals", str(tmp_path / "signals.jsonl"),
                       "--model", str(tmp_path / "m.json"), "--no-log")
    assert status == 2 and "signals.jsonl" in one_line_error(err)
