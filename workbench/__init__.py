"""workbench: a Jupyter-first research workbench for LLM agents over your own data.

The names in ``__all__`` are the whole public API. Importing the package is
cheap: heavy libraries (dspy, mlflow, llama-cpp, pandas) load on first use.
Importing it also sets offline defaults for libraries that would otherwise
reach the network (each only when you have not set it yourself).
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

OFFLINE_DEFAULTS = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm fetches its price map at import otherwise
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}
for _key, _value in OFFLINE_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

from workbench.config import Settings, configure, get_settings  # noqa: E402

__version__ = "0.1.0"

_LAZY = {
    "load_lm": "workbench.lm",
    "LlamaCppEngine": "workbench.lm",
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
    "Answer": "workbench.answer",
    "ask": "workbench.answer",
    "run_demo": "workbench.demo",
    "DataAnalysisAgent": "workbench.agents.data_analysis",
    "DataAnalysisResult": "workbench.agents.data_analysis",
    "Text2SQLOptions": "workbench.sql.text2sql",
    "evaluate_text2sql": "workbench.evaluation.text2sql_eval",
    "Corpus": "workbench.retrieval.corpus",
    "Document": "workbench.retrieval.corpus",
    "HybridIndex": "workbench.retrieval.index",
    "RetrievalConfig": "workbench.retrieval.index",
    "SearchResult": "workbench.retrieval.index",
    "IndexMismatchError": "workbench.retrieval.index",
    "InformationRetrievalAgent": "workbench.agents.retrieval",
    "RetrievalResult": "workbench.agents.retrieval",
    "evaluate_retrieval": "workbench.evaluation.retrieval_eval",
    "Agent": "workbench.agents.base",
    "AgentRegistry": "workbench.agents.base",
    "agent": "workbench.agents.base",
    "Supervisor": "workbench.supervisor.supervisor",
    "SessionNotFoundError": "workbench.supervisor.supervisor",
    "RunResult": "workbench.supervisor.result",
    "Trace": "workbench.tracing",
    "TraceEvent": "workbench.tracing",
    "evaluate_judge": "workbench.evaluation.judge_eval",
    "optimize_text2sql": "workbench.optimize.text2sql",
    "optimize_judge": "workbench.optimize.judge",
    "run_experiment": "workbench.experiments.runner",
    "compare_experiment": "workbench.experiments.compare",
    "ExperimentRun": "workbench.experiments.runner",
    "Comparison": "workbench.experiments.compare",
    "TraceViewer": "workbench.widgets.trace_viewer",
    "demo_supervisor": "workbench.demo",
}

__all__ = [
    "Agent",
    "AgentRegistry",
    "Answer",
    "Comparison",
    "Corpus",
    "DataAnalysisAgent",
    "DataAnalysisResult",
    "Database",
    "Document",
    "ExperimentRun",
    "HybridIndex",
    "IndexMismatchError",
    "InformationRetrievalAgent",
    "LlamaCppEngine",
    "ModelError",
    "QueryError",
    "QueryResult",
    "RetrievalConfig",
    "RetrievalResult",
    "RunResult",
    "SQLSyntaxError",
    "SearchResult",
    "SessionNotFoundError",
    "Settings",
    "Supervisor",
    "Text2SQL",
    "Text2SQLOptions",
    "Trace",
    "TraceEvent",
    "TraceViewer",
    "UnsafeSQLError",
    "__version__",
    "agent",
    "ask",
    "check_sql",
    "compare_experiment",
    "configure",
    "demo_supervisor",
    "evaluate_judge",
    "evaluate_retrieval",
    "evaluate_text2sql",
    "get_settings",
    "list_models",
    "load_lm",
    "model_path",
    "optimize_judge",
    "optimize_text2sql",
    "run_demo",
    "run_experiment",
]

if TYPE_CHECKING:
    from workbench.agents.base import Agent, AgentRegistry, agent
    from workbench.agents.data_analysis import DataAnalysisAgent, DataAnalysisResult
    from workbench.agents.retrieval import InformationRetrievalAgent, RetrievalResult
    from workbench.answer import Answer, ask
    from workbench.demo import demo_supervisor, run_demo
    from workbench.evaluation.judge_eval import evaluate_judge
    from workbench.evaluation.retrieval_eval import evaluate_retrieval
    from workbench.evaluation.text2sql_eval import evaluate_text2sql
    from workbench.experiments.compare import Comparison, compare_experiment
    from workbench.experiments.runner import ExperimentRun, run_experiment
    from workbench.lm import LlamaCppEngine, load_lm
    from workbench.models import ModelError, list_models, model_path
    from workbench.optimize.judge import optimize_judge
    from workbench.optimize.text2sql import optimize_text2sql
    from workbench.programs.text2sql import Text2SQL
    from workbench.retrieval.corpus import Corpus, Document
    from workbench.retrieval.index import HybridIndex, IndexMismatchError, RetrievalConfig, SearchResult
    from workbench.sql.database import Database, QueryError, QueryResult
    from workbench.sql.guard import SQLSyntaxError, UnsafeSQLError, check_sql
    from workbench.sql.text2sql import Text2SQLOptions
    from workbench.supervisor.result import RunResult
    from workbench.supervisor.supervisor import SessionNotFoundError, Supervisor
    from workbench.tracing import Trace, TraceEvent
    from workbench.widgets.trace_viewer import TraceViewer


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
