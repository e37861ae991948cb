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
    """One static HTML string: snippets as they are, figures as embedded plotly (plotly.js from its CDN), other
    objects (results) by their own ``_repr_html_``."""
    return "".join(_html(p) for p in parts)


def _html(part: Any) -> str:
    if isinstance(part, str):
        return part
    if hasattr(part, "to_plotly_json"):  # a plotly figure
        return str(part.to_html(full_html=False, include_plotlyjs="cdn"))
    return str(part._repr_html_())


def show(parts: Iterable[Any]) -> None:
    """Display ``parts`` in Jupyter: runs of snippets as one HTML output, figures through plotly's renderer,
    other objects (results) as they display themselves."""
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
