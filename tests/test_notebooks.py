"""Notebooks as regression tests: recorded figures, thresholds with readable failures, the papermill run."""

from __future__ import annotations

import json

import nbformat
import pytest

from workbench.notebooks import METRICS_MIME, NOTEBOOKS, NotebookRun, check_thresholds, read_metrics, run_notebooks


def _executed(tmp_path, figures):
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("record(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={METRICS_MIME: f, "text/plain": "x"})
                    for f in figures]
    book.cells = [cell]
    path = tmp_path / "run.ipynb"
    nbformat.write(book, path)
    return path


def test_recorded_figures_are_read_back_the_last_record_winning(tmp_path):
    path = _executed(tmp_path, [{"ex": 0.1, "n": 5}, {"ex": 0.6}])
    assert read_metrics(path) == {"ex": 0.6, "n": 5}


def test_thresholds_report_each_regression_in_one_readable_line(tmp_path):
    limits = tmp_path / "thresholds.yaml"
    limits.write_text("a: {ex: '>= 0.5', n: '== 10'}\nb: {ndcg_at_10: '> 0.7'}\nc: {x: '>= 1'}\n")
    runs = [NotebookRun("a", tmp_path, 1.0, {"ex": 0.35, "n": 10}), NotebookRun("b", tmp_path, 1.0, {}),
            NotebookRun("c", tmp_path, 1.0, error="PapermillExecutionError: boom\nKeyError: 'x'")]
    assert check_thresholds(runs, limits) == [
        "a: ex = 0.35 does not satisfy >= 0.5",
        "b: ndcg_at_10 was not recorded (recorded: [])",
        "c: failed: KeyError: 'x'",
    ]
    assert check_thresholds([NotebookRun("a", tmp_path, 1.0, {"ex": 0.5, "n": 10})], limits) == []


def test_every_notebook_has_a_parameters_cell_and_thresholds():
    import yaml

    limits = yaml.safe_load((NOTEBOOKS / "thresholds.yaml").read_text())
    names = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert names == ["01_quickstart", "02_text2sql_eval", "03_retrieval_eval", "04_prompt_variants",
                     "05_trace_explorer"]
    for name in names:
        book = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in book["cells"]), name
        assert limits.get(name), f"{name} has no thresholds"


@pytest.mark.real_model
def test_notebooks_run_with_ci_parameters_and_hold_their_thresholds(tmp_path):
    runs = run_notebooks("ci", out=tmp_path, progress=False)
    failures = check_thresholds(runs)
    assert not failures, "notebook regressions:\n" + "\n".join(failures)
