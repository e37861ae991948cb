"""The command line: help, the model registry, and clear errors for bad input."""

from __future__ import annotations

import subprocess
import sys


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
