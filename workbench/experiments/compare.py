"""Compare the cells of an experiment's latest (or a given) parent run: a DataFrame, a chart, the best variant.

Each kind of cell has its own score: ``ex`` for text2sql, ``ndcg_at_10`` for
retrieval. The best variant of a kind is its highest-scoring finished cell
(ties go to the faster one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError
from workbench.experiments.runner import PARENT_TAG

SCORES = {"text2sql": "ex", "retrieval": "ndcg_at_10"}
COLUMNS = ("kind", "variant", "method", "lm", "dataset", "sample", "score_name", "score", "wall_s",
           "tokens_total", "status", "run_id")


@dataclass
class Comparison:
    """Cells as rows (``frame``), a plotly bar chart of the score by variant (``figure``), the best per kind."""

    experiment: str
    parent_run_id: str
    frame: Any
    best: dict[str, dict[str, Any]]

    @property
    def figure(self) -> Any:
        """Bars of each cell's score by variant, one panel per kind (the scores differ)."""
        import plotly.express as px

        done = self.frame[self.frame["status"] == "FINISHED"]
        fig = px.bar(done, x="variant", y="score", color="lm" if done["lm"].astype(bool).any() else None,
                     facet_col="kind", barmode="group", text="score", hover_data=["dataset", "sample", "wall_s"],
                     title=f"{self.experiment}: score by variant (text2sql: EX; retrieval: nDCG@10)")
        fig.update_xaxes(matches=None)
        fig.update_traces(texttemplate="%{text:.3f}", textposition="outside")
        fig.update_yaxes(range=[0, 1.05])
        return fig

    def __repr__(self) -> str:
        best = "; ".join(f"{kind}: {row['variant']} ({row['score_name']} {row['score']:.3f})"
                         for kind, row in self.best.items())
        return f"Comparison({self.experiment!r}, {len(self.frame)} cells, best: {best})"

    def _repr_html_(self) -> str:
        from html import escape

        best = "".join(f"<li><b>{escape(kind)}</b>: {escape(str(row['variant']))} — {row['score_name']} "
                       f"{row['score']:.3f}</li>" for kind, row in self.best.items())
        chart = self.figure.to_html(full_html=False, include_plotlyjs="cdn")
        return (f"<h4>{escape(self.experiment)} (parent run {escape(self.parent_run_id)})</h4><ul>{best}</ul>"
                + self.frame.to_html(index=False) + chart)


def compare_experiment(name: str, *, parent_run_id: str | None = None,
                       settings: Settings | None = None) -> Comparison:
    """The cells of experiment ``name``'s latest parent run (or ``parent_run_id``) side by side."""
    import mlflow
    import pandas as pd

    from workbench.tracking import use_experiment

    settings = settings or get_settings()
    mlflow.set_tracking_uri(settings.tracking_uri)
    if mlflow.get_experiment_by_name(name) is None:
        raise InputError(f"No experiment named {name!r} in {settings.tracking_uri}; run "
                         f"`workbench experiment run experiments/{name}.yaml` first")
    experiment_id = use_experiment(name, settings)
    if parent_run_id is None:
        parents = mlflow.search_runs([experiment_id], filter_string=f"tags.`{PARENT_TAG}` = '{name}'",
                                     order_by=["attributes.start_time DESC"], max_results=1)
        if parents.empty:
            raise InputError(f"Experiment {name!r} has no parent run; run its spec with `workbench experiment run`")
        parent_run_id = str(parents.iloc[0]["run_id"])
    children = mlflow.search_runs([experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'")
    rows = []
    for _, run in children.iterrows():
        kind = run.get("params.kind")
        score_name = SCORES.get(str(kind), "")
        rows.append({"kind": kind, "variant": run.get("params.variant"), "method": run.get("params.method") or "",
                     "lm": run.get("params.lm") or "", "dataset": run.get("params.dataset"),
                     "sample": run.get("params.sample"), "score_name": score_name,
                     "score": run.get(f"metrics.{score_name}"), "wall_s": run.get("metrics.wall_s"),
                     "tokens_total": run.get("metrics.tokens_total"), "status": run.get("status"),
                     "run_id": run.get("run_id")})
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values(["kind", "score"], ascending=[True, False])
    frame = frame.reset_index(drop=True)
    best = {}
    for kind, group in frame[frame["status"] == "FINISHED"].dropna(subset=["score"]).groupby("kind"):
        top = group.sort_values(["score", "wall_s"], ascending=[False, True]).iloc[0]
        best[str(kind)] = {str(k): v for k, v in top.to_dict().items()}
    return Comparison(name, parent_run_id, frame, best)
