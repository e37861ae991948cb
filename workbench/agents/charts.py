"""Pick a chart for a query result from its column types and cardinality.

Rules, first match wins: a time-like column with a numeric one gives a line
chart; one category column (at most ``MAX_BARS`` values) with a numeric one
gives a bar chart; two numeric columns give a scatter plot; anything else,
including a single value, stays a table (no figure).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

MAX_BARS = 50
_TIME_NAMES = ("date", "time", "year", "month", "day", "week", "quarter")


def choose_chart(frame: pd.DataFrame, title: str = "") -> tuple[str, Any]:
    """Return ``(kind, figure)``: kind is ``line``, ``bar``, ``scatter`` or ``table`` (figure None)."""
    import pandas as pd

    if frame is None or frame.empty or len(frame) < 2 or frame.shape[1] < 2:
        return "table", None
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    temporal = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])
                or (str(c).lower().endswith(_TIME_NAMES) and frame[c].nunique() >= 3)]
    categorical = [c for c in frame.columns if c not in numeric and c not in temporal]
    import plotly.express as px

    if temporal and [c for c in numeric if c not in temporal]:
        x = temporal[0]
        y = next(c for c in numeric if c != x)
        color = categorical[0] if categorical and frame[categorical[0]].nunique() <= 12 else None
        return "line", px.line(frame.sort_values(x), x=x, y=y, color=color, title=title)
    if categorical and numeric and frame[categorical[0]].nunique() <= MAX_BARS:
        return "bar", px.bar(frame, x=categorical[0], y=numeric[0], title=title)
    if len(numeric) >= 2:
        return "scatter", px.scatter(frame, x=numeric[0], y=numeric[1], title=title)
    return "table", None
