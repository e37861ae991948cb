"""The public surface: __all__, lazy heavy imports, offline defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import workbench

EAGER = {"Settings", "__version__", "configure", "get_settings"}


def test_the_public_api_is_the_lazy_table_plus_the_eager_names():
    assert workbench.__all__ == sorted(set(workbench._LAZY) | EAGER)
    assert dir(workbench) == workbench.__all__


def test_every_public_name_loads_from_its_module_and_is_documented():
    for name, module in workbench._LAZY.items():
        value = getattr(workbench, name)
        assert value is getattr(__import__(module, fromlist=[name]), name), name
        assert (value.__doc__ or "").strip(), f"workbench.{name} has no docstring"


def test_an_unknown_name_says_so():
    import pytest

    with pytest.raises(AttributeError, match="no attribute 'Answer'"):
        _ = workbench.Answer


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
