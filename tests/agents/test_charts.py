"""Automatic charts follow the result's column types and cardinality."""

from __future__ import annotations

import pandas as pd

from workbench.agents.charts import choose_chart


def test_category_and_number_make_a_bar_chart():
    kind, figure = choose_chart(pd.DataFrame({"continent": ["Africa", "Asia", "Europe"], "n": [52, 33, 30]}))
    assert kind == "bar" and figure.data[0].type == "bar"


def test_time_and_number_make_a_line_chart_sorted_by_time():
    frame = pd.DataFrame({"year": [2007, 1952, 1977], "life_expectancy": [80.0, 60.0, 70.0]})
    kind, figure = choose_chart(frame)
    assert kind == "line" and list(figure.data[0].x) == [1952, 1977, 2007]


def test_two_numbers_make_a_scatter_plot():
    kind, _ = choose_chart(pd.DataFrame({"bill": [10.0, 20.5, 30.1], "tip": [1.0, 3.5, 4.0]}))
    assert kind == "scatter"


def test_single_values_and_text_only_results_stay_tables():
    assert choose_chart(pd.DataFrame({"count": [6]})) == ("table", None)
    assert choose_chart(pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]})) == ("table", None)
    assert choose_chart(pd.DataFrame({"name": [str(i) for i in range(80)], "n": range(80)})) == ("table", None)
