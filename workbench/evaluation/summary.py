"""``Summary``: an evaluation's summary dict that shows itself in a notebook.

It is the plain dict the evaluations always returned (and wrote as
``summary.json``), plus a title. In Jupyter it shows the headline figures as
a table and every per-group figure (EX by hardness, say) as a bar chart, drawn
by plotly's own renderer so it works offline.
"""

from __future__ import annotations

import html
from typing import Any

from workbench.display import parts_html, show

HEADLINE = ("n", "ex", "ex_duckdb", "accuracy", "consistency", "both_correct", "first_position_rate", "ndcg@10",
            "recall@100", "mrr@10", "seconds_p50", "seconds_p95", "latency_ms_p50", "wall_s", "lm", "method",
            "compiled")


class Summary(dict):
    """A summary dict with a title and a rich notebook display."""

    def __init__(self, title: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.title = title

    def _parts(self) -> list[Any]:
        import plotly.express as px

        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(self[k]))}</td>"
                       f"</tr>" for k in HEADLINE if k in self and self[k] is not None)
        parts: list[Any] = [f"<h4>{html.escape(self.title)}</h4><table>{rows}</table>"]
        for key, value in self.items():
            if isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()) \
                    and key.startswith(("ex_by", "errors_by", "n_by")):
                fig = px.bar(x=list(value), y=list(value.values()), labels={"x": key.split("_by_")[-1], "y": key},
                             title=key.replace("_", " "), height=280)
                parts.append(fig)
        return parts

    def _repr_html_(self) -> str:
        return parts_html(self._parts())

    def _ipython_display_(self) -> None:
        show(self._parts())
