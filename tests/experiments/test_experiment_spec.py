"""Experiment specs: the grid a YAML file expands to, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from workbench.experiments.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, body: dict) -> Path:
    path = tmp_path / "experiments" / "x.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(body))
    return path


def test_the_shipped_spec_crosses_three_text2sql_variants_and_two_retrieval_configs():
    spec = load_spec(ROOT / "experiments" / "prompt-variants.yaml")
    kinds = [c.kind for c in spec.cells]
    assert kinds.count("text2sql") >= 3 and kinds.count("retrieval") >= 2
    assert len({c.label for c in spec.cells}) == len(spec.cells)  # labels name runs and folders
    assert {c.variant for c in spec.cells if c.kind == "retrieval"} == {"weighted", "rrf"}
    assert spec.max_minutes == 60


def test_cells_are_the_product_of_the_axes(tmp_path):
    (tmp_path / "q.json").write_text("[]")
    (tmp_path / "db").mkdir()
    spec = load_spec(_write(tmp_path, {
        "name": "grid", "lms": ["a", "b"],
        "text2sql": {"variants": ["predict", "cot", "vote"], "samples": [5, 10],
                     "datasets": [{"name": "d", "questions": "q.json", "db_dir": "db"}]}}))
    assert len(spec.cells) == 3 * 2 * 2
    assert spec.cells[0].data["questions"] == str(tmp_path / "q.json")  # relative to the project folder


@pytest.mark.parametrize(("body", "message"), [
    ({"text2sql": {}}, "'name' is required"),
    ({"name": "x", "colour": 1}, "unknown keys \\['colour'\\]"),
    ({"name": "x"}, "no cells"),
    ({"name": "x", "text2sql": {"variants": ["fancy"], "datasets": []}}, "Unknown text2sql variant 'fancy'"),
    ({"name": "x", "retrieval": {"configs": {"a": {"fusion": "max"}}, "datasets": []}}, "Unknown fusion"),
    ({"name": "x", "retrieval": {"configs": {"a": {"speed": 1}}, "datasets": []}}, "unknown fields \\['speed'\\]"),
    ({"name": "x", "text2sql": {"variants": ["cot"], "datasets": [{"name": "d", "questions": "missing.json",
                                                                   "db_dir": "."}]}}, "does not exist"),
])
def test_bad_specs_are_refused_with_the_file_and_the_key(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises((ValueError, FileNotFoundError), match=message) as info:
        load_spec(path)
    assert str(path) in str(info.value)
