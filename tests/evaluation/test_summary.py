"""Typed summaries: attributes for code, exactly the summary.json keys for files, dict reads for notebooks."""

from __future__ import annotations

import dataclasses
import json

import pytest

from workbench.evaluation.summary import Summary, figure


@dataclasses.dataclass(frozen=True, kw_only=True, eq=False)
class Scores(Summary):
    n: int
    ndcg_at_10: float | None = figure(key="ndcg@10", optional=True)
    ex_by_hardness: dict[str, float]
    compiled: str | None

    @property
    def title(self) -> str:
        return f"scores of {self.n}"


def test_as_dict_has_the_file_keys_in_field_order_and_drops_unset_optional_figures():
    with_rank = Scores(n=3, ndcg_at_10=0.5, ex_by_hardness={"easy": 1.0}, compiled=None)
    assert list(with_rank.as_dict()) == ["n", "ndcg@10", "ex_by_hardness", "compiled"]
    assert with_rank.as_dict()["compiled"] is None  # a plain None figure stays in the file as null
    without = Scores(n=3, ex_by_hardness={}, compiled="bootstrap")
    assert without.as_dict() == {"n": 3, "ex_by_hardness": {}, "compiled": "bootstrap"}


def test_a_summary_reads_like_the_dict_it_replaced_and_equals_its_json():
    s = Scores(n=3, ndcg_at_10=0.5, ex_by_hardness={"easy": 1.0}, compiled=None)
    assert s["ndcg@10"] == s.ndcg_at_10 == 0.5 and "ndcg@10" in s and "ndcg_at_10" not in s
    assert s.get("missing", 7) == 7 and dict(s.items()) == s.as_dict() and len(s) == 4
    assert s == json.loads(json.dumps(s.as_dict()))
    assert "ndcg@10" not in Scores(n=1, ex_by_hardness={}, compiled=None)
    with pytest.raises(KeyError):
        Scores(n=1, ex_by_hardness={}, compiled=None)["ndcg@10"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n = 4  # type: ignore[misc]


def test_the_notebook_display_shows_the_title_headline_figures_and_a_chart_per_group():
    page = Scores(n=3, ndcg_at_10=0.5, ex_by_hardness={"easy": 1.0, "hard": 0.0}, compiled=None)._repr_html_()
    assert "scores of 3" in page and "<th style='text-align:left'>ndcg@10</th>" in page
    assert "compiled" not in page.split("<table>")[1].split("</table>")[0]  # None figures are not shown
    assert "ex by hardness" in page
