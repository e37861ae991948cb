"""Notebook display of results: one static HTML string, or snippets and plotly figures shown in order."""

from __future__ import annotations

import IPython.display
import plotly.graph_objects as go

from workbench.display import parts_html, show


def figure() -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))


def test_snippets_are_joined_as_they_are_and_figures_embedded_between_them():
    html = parts_html(["<h3>Answer</h3>", figure(), "<p>end</p>"])
    assert html.startswith("<h3>Answer</h3>") and html.endswith("<p>end</p>")
    assert "cdn.plot.ly" in html and "Plotly.newPlot" in html
    assert html.index("<h3>Answer</h3>") < html.index("Plotly.newPlot") < html.index("<p>end</p>")


def test_only_snippets_give_plain_html_without_plotly():
    assert parts_html(["<b>1</b>", "<i>2</i>"]) == "<b>1</b><i>2</i>"
    assert parts_html([]) == ""


def test_show_groups_runs_of_snippets_and_shows_figures_themselves_in_order(monkeypatch):
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    fig = figure()
    show(["<h3>Answer</h3>", "<p>42</p>", fig, "<p>SQL</p>"])
    assert len(shown) == 3
    assert isinstance(shown[0], IPython.display.HTML) and shown[0].data == "<h3>Answer</h3><p>42</p>"
    assert shown[1] is fig
    assert isinstance(shown[2], IPython.display.HTML) and shown[2].data == "<p>SQL</p>"


def test_show_of_figures_only_or_nothing_displays_no_empty_html(monkeypatch):
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    first, second = figure(), figure()
    show([first, second])
    show([])
    assert shown == [first, second]
