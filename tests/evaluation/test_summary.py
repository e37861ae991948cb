"""Typed summaries: attributes for code, the summary.json dict for files and old callers, a view for notebooks."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from workbench.evaluation.summary import Summary, figure


@dataclass(frozen=True, kw_only=True, eq=False)
class Scores(Summary):
    n: int
    ndcg_at_10: float = figure(key="ndcg@10")
    ex_by_hardness: dict[str, float]
    ex_duckdb: float | None = figure(optional=True)


def test_a_summary_reads_as_attributes_and_as_the_dict_its_file_holds():
    s = Scores(n=3, ndcg_at_10=0.7, ex_by_hardness={"easy": 1.0, "hard": 0.5})
    assert s.ndcg_at_10 == 0.7 and s["ndcg@10"] == 0.7
    assert s.as_dict() == {"n": 3, "ndcg@10": 0.7, "ex_by_hardness": {"easy": 1.0, "hard": 0.5}}
    assert "ex_duckdb" not in s and s.get("ex_duckdb") is None  # an unset optional figure is left out
    assert s == json.loads(json.dumps(s.as_dict()))  # equal to what summary.json reads back as
    assert list(s) == ["n", "ndcg@10", "ex_by_hardness"] and len(s) == 3
    with pytest.raises(KeyError):
        _ = s["ndcg_at_10"]


def test_an_optional_figure_appears_once_set():
    assert Scores(n=1, ndcg_at_10=0.1, ex_by_hardness={}, ex_duckdb=0.4)["ex_duckdb"] == 0.4


def test_the_notebook_view_has_the_headline_table_and_a_chart_per_group():
    page = Scores(n=3, ndcg_at_10=0.7, ex_by_hardness={"easy": 1.0, "hard": 0.5})._repr_html_()
    assert "<h4>Scores</h4>" in page and "ndcg@10" in page and "0.7" in page
    assert "ex by hardness" in page and "plotly" in page
