"""Showing the columns a ranking sorts by, so an answer can quote the figures."""

from __future__ import annotations

from common import DATA

from workbench.sql.database import Database
from workbench.sql.ranking import with_order_columns


def test_a_top_five_query_shows_the_figure_it_ranks_by_on_the_demo_data():
    sql = "SELECT country FROM country_stats WHERE year = 2007 ORDER BY life_expectancy DESC LIMIT 5"
    wider = with_order_columns(sql)
    frame = Database.open(DATA / "demo.duckdb").execute(wider).frame
    assert list(frame.columns) == ["country", "life_expectancy"]
    assert frame["country"].tolist() == ["Japan", "Hong Kong, China", "Iceland", "Switzerland", "Australia"]


def test_a_grouped_ranking_gains_its_aggregate():
    wider = with_order_columns("SELECT name FROM t GROUP BY name ORDER BY count(*) DESC LIMIT 1", "sqlite")
    assert wider == "SELECT name, COUNT(*) FROM t GROUP BY name ORDER BY COUNT(*) DESC LIMIT 1"


def test_queries_it_would_change_or_that_show_everything_are_left_alone():
    assert with_order_columns("SELECT name, age FROM singer ORDER BY age") is None  # already shown
    assert with_order_columns("SELECT DISTINCT name FROM singer ORDER BY age") is None  # DISTINCT rows would change
    assert with_order_columns("SELECT * FROM singer ORDER BY age") is None
    assert with_order_columns("SELECT name FROM singer") is None  # no ranking
    assert with_order_columns("SELECT name FROM t GROUP BY name ORDER BY age") is None  # not grouped, not aggregate
    assert with_order_columns("not sql at all (") is None
