"""Experiments: grids of evaluations described in YAML, run as nested MLflow runs, compared side by side.

``run_experiment("experiments/NAME.yaml")`` runs every cell; ``compare_experiment("NAME")`` returns a
``Comparison`` (DataFrame, plotly chart, best variant per kind). The command line mirrors both:
``workbench experiment run`` and ``workbench experiment compare``.
"""

from workbench.experiments.compare import Comparison, compare_experiment
from workbench.experiments.runner import CellResult, ExperimentRun, run_experiment
from workbench.experiments.spec import Cell, Spec, load_spec

__all__ = ["Cell", "CellResult", "Comparison", "ExperimentRun", "Spec", "compare_experiment", "load_spec",
           "run_experiment"]
