"""Notebook display of results made of HTML snippets and plotly figures.

``_repr_html_`` has to be one static HTML string, so a chart in it loads
plotly.js from plotly's CDN and stays blank without a network. In Jupyter,
``show(parts)`` displays each figure as a figure instead, which plotly's
JupyterLab renderer (installed with plotly) draws offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def parts_html(parts: Iterable[Any]) -> str:
    """One static HTML string: snippets as they are, figures as embedded plotly (plotly.js from its CDN)."""
    return "".join(p if isinstance(p, str) else p.to_html(full_html=False, include_plotlyjs="cdn") for p in parts)


def show(parts: Iterable[Any]) -> None:
    """Display ``parts`` in Jupyter: runs of snippets as one HTML output, figures through plotly's renderer."""
    from IPython.display import HTML, display

    pending: list[str] = []
    for part in parts:
        if isinstance(part, str):
            pending.append(part)
            continue
        if pending:
            display(HTML("".join(pending)))
            pending = []
        display(part)
    if pending:
        display(HTML("".join(pending)))
