"""workbench: a Jupyter-first research workbench for LLM agents over your own data.

The names in ``__all__`` are the whole public API, declared once in ``_LAZY``
(name → module; loaded on first use) plus the few eager ones. Importing the package is
cheap: heavy libraries (dspy, mlflow, llama-cpp, pandas) load on first use.
Importing it also sets offline defaults for libraries that would otherwise
reach the network (each only when you have not set it yourself).
"""

from __future__ import annotations

import importlib
import os
from typing import Any

OFFLINE_DEFAULTS = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm fetches its price map at import otherwise
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}
for _key, _value in OFFLINE_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

from workbench.config import Settings as Settings  # noqa: E402  (re-exported: the eager public names)
from workbench.config import configure as configure  # noqa: E402
from workbench.config import get_settings as get_settings  # noqa: E402

__version__ = "0.1.0"

_LAZY = {
    "WorkbenchError": "workbench.errors",
    "InputError": "workbench.errors",
    "MissingInputError": "workbench.errors",
    "load_lm": "workbench.lm",
    "LlamaCppEngine": "workbench.llama_engine",
    "ModelError": "workbench.models",
    "list_models": "workbench.models",
    "model_path": "workbench.models",
    "Database": "workbench.sql.database",
    "QueryResult": "workbench.sql.database",
    "QueryError": "workbench.sql.database",
    "UnsafeSQLError": "workbench.sql.guard",
    "SQLSyntaxError": "workbench.sql.guard",
    "check_sql": "workbench.sql.guard",
    "Text2SQL": "workbench.programs.text2sql",
    "ask": "workbench.agents.data_analysis",
    "run_demo": "workbench.demo",
    "DataAnalysisAgent": "workbench.agents.data_analysis",
    "DataAnalysisResult": "workbench.agents.data_analysis",
    "Text2SQLOptions": "workbench.sql.text2sql",
    "evaluate_text2sql": "workbench.evaluation.text2sql_eval",
    "Text2SQLSummary": "workbench.evaluation.text2sql_eval",
    "Corpus": "workbench.retrieval.corpus",
    "Document": "workbench.retrieval.corpus",
    "HybridIndex": "workbench.retrieval.index",
    "RetrievalConfig": "workbench.retrieval.index",
    "SearchResult": "workbench.retrieval.results",
    "IndexMismatchError": "workbench.retrieval.index",
    "InformationRetrievalAgent": "workbench.agents.retrieval",
    "RetrievalResult": "workbench.agents.retrieval",
    "evaluate_retrieval": "workbench.evaluation.retrieval_eval",
    "RetrievalSummary": "workbench.evaluation.retrieval_eval",
    "Agent": "workbench.agents.base",
    "AgentResult": "workbench.agents.result",
    "TextResult": "workbench.agents.result",
    "AgentRegistry": "workbench.agents.base",
    "agent": "workbench.agents.base",
    "Supervisor": "workbench.supervisor.supervisor",
    "SessionNotFoundError": "workbench.supervisor.supervisor",
    "RunResult": "workbench.supervisor.result",
    "Trace": "workbench.tracing",
    "TraceEvent": "workbench.tracing",
    "evaluate_judge": "workbench.evaluation.judge_eval",
    "JudgeSummary": "workbench.evaluation.judge_eval",
    "optimize_text2sql": "workbench.optimize.text2sql",
    "Text2SQLOptimizationSummary": "workbench.optimize.text2sql",
    "optimize_judge": "workbench.optimize.judge",
    "JudgeOptimizationSummary": "workbench.optimize.judge",
    "run_experiment": "workbench.experiments.runner",
    "compare_experiment": "workbench.experiments.compare",
    "ExperimentRun": "workbench.experiments.runner",
    "Comparison": "workbench.experiments.compare",
    "TraceViewer": "workbench.widgets.trace_viewer",
    "demo_supervisor": "workbench.demo",
}

# The public API, declared once: each lazy name and the module it comes from; __all__ adds the eager ones.
__all__ = sorted([*_LAZY, "Settings", "__version__", "configure", "get_settings"])


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext workbench``: registers the ``%%ask`` and ``%workbench_trace`` magics (``workbench.magics``)."""
    from workbench.magics import load

    load(ipython)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
