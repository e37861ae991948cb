"""The public surface: __all__, lazy heavy imports, offline defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import workbench

EXPECTED = {
    "Answer", "Database", "LlamaCppEngine", "ModelError", "QueryError", "QueryResult", "SQLSyntaxError",
    "Settings", "Text2SQL", "UnsafeSQLError", "__version__", "ask", "check_sql", "configure", "get_settings",
    "list_models", "load_lm", "model_path", "run_demo", "DataAnalysisAgent", "DataAnalysisResult", "Text2SQLOptions",
    "evaluate_text2sql", "Corpus", "Document", "HybridIndex", "IndexMismatchError", "InformationRetrievalAgent",
    "RetrievalConfig", "RetrievalResult", "SearchResult", "evaluate_retrieval", "Agent", "AgentRegistry", "agent",
    "Supervisor", "SessionNotFoundError", "RunResult", "Trace", "TraceEvent", "evaluate_judge", "optimize_text2sql",
    "optimize_judge", "run_experiment", "compare_experiment", "ExperimentRun", "Comparison", "TraceViewer",
    "demo_supervisor",
}


def test_public_names_are_exactly_the_documented_api():
    assert set(workbench.__all__) == EXPECTED
    assert set(workbench._LAZY) | {"Settings", "__version__", "configure", "get_settings"} == EXPECTED
    for name in EXPECTED:
        assert getattr(workbench, name) is not None


def test_public_functions_are_not_shadowed_by_submodules():
    import pkgutil

    for module in pkgutil.walk_packages(workbench.__path__, "workbench."):
        __import__(module.name)
    for name in workbench.__all__:
        assert not isinstance(getattr(workbench, name), type(workbench)), f"workbench.{name} is a module"


def _fresh(code: str, env: dict[str, str] | None = None) -> str:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("LITELLM", "HF_", "MLFLOW_"))}
    full_env.update(env or {})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, check=True)
    return out.stdout


def test_import_is_light():
    heavy = ("dspy", "mlflow", "llama_cpp", "pandas", "torch", "litellm", "duckdb", "sqlglot", "numpy", "faiss",
             "bm25s", "sentence_transformers", "kiwipiepy", "onnxruntime")
    code = f"import sys, json, workbench; print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"
    assert json.loads(_fresh(code)) == []


def test_import_sets_offline_defaults_but_keeps_user_choices():
    code = "import os, workbench; print(os.environ['LITELLM_LOCAL_MODEL_COST_MAP'], os.environ['HF_HUB_OFFLINE'])"
    assert _fresh(code).split() == ["True", "1"]
    assert _fresh(code, {"HF_HUB_OFFLINE": "0"}).split() == ["True", "0"]
