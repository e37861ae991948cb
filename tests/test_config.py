"""Settings: embedded defaults, WORKBENCH_* overrides, clear errors for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

import workbench
from workbench.config import Settings


def test_defaults_work_offline_with_the_local_15b_model():
    settings = Settings.from_env({})
    assert settings.lm == "qwen2.5-coder-1.5b"
    assert settings.lm_temperature == 0.0
    assert settings.tracking_uri.startswith("sqlite:///")


def test_environment_overrides_are_typed():
    settings = Settings.from_env({
        "WORKBENCH_LM": "openai/gpt-4o-mini",
        "WORKBENCH_LM_MAX_TOKENS": "256",
        "WORKBENCH_LM_TEMPERATURE": "0.7",
        "WORKBENCH_CACHE_DIR": "~/models-here",
        "PATH": "/usr/bin",  # unrelated variables are ignored
    })
    assert settings.lm == "openai/gpt-4o-mini"
    assert settings.lm_max_tokens == 256
    assert settings.lm_temperature == 0.7
    assert settings.cache_dir == Path.home() / "models-here"


def test_arguments_beat_environment():
    settings = Settings.from_env({"WORKBENCH_LM": "qwen2.5-coder-1.5b"}, lm="qwen2.5-coder-0.5b")
    assert settings.lm == "qwen2.5-coder-0.5b"


def test_unknown_variable_is_named_in_the_error():
    with pytest.raises(ValueError, match="WORKBENCH_LM_MAXTOKENS"):
        Settings.from_env({"WORKBENCH_LM_MAXTOKENS": "5"})


def test_bad_value_names_the_variable_and_the_type():
    with pytest.raises(ValueError, match=r"WORKBENCH_SQL_ROW_LIMIT.*int.*'many'"):
        Settings.from_env({"WORKBENCH_SQL_ROW_LIMIT": "many"})
    with pytest.raises(ValueError, match="lm_max_tokens must be positive"):
        Settings(lm_max_tokens=0)


def test_mlflow_store_defaults_to_sqlite_in_home(tmp_path):
    settings = Settings(home=tmp_path)
    assert settings.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert Settings(mlflow_uri="http://127.0.0.1:5000").tracking_uri == "http://127.0.0.1:5000"


def test_configure_changes_process_settings_and_notebook_view_lists_variables():
    before = workbench.get_settings()
    try:
        changed = workbench.configure(lm="qwen2.5-coder-0.5b")
        assert workbench.get_settings() is changed
        assert changed.lm == "qwen2.5-coder-0.5b"
        assert "WORKBENCH_LM" in changed._repr_html_()
    finally:
        workbench.configure(**{k: getattr(before, k) for k in ("lm",)})
