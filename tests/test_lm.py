"""The LM factory: litellm model strings pass through; the engine's old import path still works."""

from __future__ import annotations

from workbench.config import Settings
from workbench.lm import is_local, load_lm


def test_litellm_model_strings_pass_through_with_api_base():
    lm = load_lm("openai/my-model", settings=Settings(lm_api_base="http://127.0.0.1:8000/v1"))
    assert lm.model == "openai/my-model"
    assert lm.kwargs["api_base"] == "http://127.0.0.1:8000/v1"
    assert not is_local("openai/my-model")
    assert is_local("qwen2.5-coder-0.5b") and is_local("/models/any.GGUF")


def test_the_engine_stays_importable_from_its_old_module():
    from workbench import llama_engine, lm, tracing

    assert lm.LlamaCppEngine is llama_engine.LlamaCppEngine  # code and saved notebooks written before the move
    assert lm.AsyncLlamaCppEngine is llama_engine.AsyncLlamaCppEngine and lm.trace_prompt is tracing.trace_prompt

