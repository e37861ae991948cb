"""Language models as DSPy LMs: local GGUF models in process, or any litellm model.

``load_lm()`` turns the ``lm`` setting into a ``dspy.LM``:

* a registry name (``qwen2.5-coder-1.5b``, ``qwen2.5-coder-0.5b``) or a path to
  a ``.gguf`` file runs in this process through llama-cpp-python, wrapped in
  ``LlamaCppEngine`` (``workbench.llama_engine``), DSPy 3.4's custom-engine
  contract (``complete(Request) -> Response``);
* anything else is a litellm model string (``openai/gpt-4o-mini``,
  ``ollama_chat/qwen2.5-coder:7b``, or ``openai/<name>`` with ``lm_api_base``
  pointing at a vLLM server) and goes to ``dspy.LM`` unchanged.

DSPy's response cache, retries and history apply to both. ``lm_context(lm)``
is how the workbench runs its programs on an LM: the lenient chat adapter,
with token usage tracked.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from workbench.config import Settings, get_settings

# LMs saved before the engine had its own module name it ``workbench.lm:LlamaCppEngine``; this import keeps them
# loadable (tests/test_llama_engine.py).
from workbench.llama_engine import AsyncLlamaCppEngine, LlamaCppEngine
from workbench.models import REGISTRY, model_path

if TYPE_CHECKING:
    import dspy


def is_local(name: str) -> bool:
    """True when ``name`` is a registered local model or a ``.gguf`` path (runs in process)."""
    return name in REGISTRY or name.lower().endswith(".gguf")


def load_lm(name: str | None = None, *, settings: Settings | None = None, progress: bool = True,
            cache: bool = True, slot: str = "") -> dspy.LM:
    """Build a ``dspy.LM`` for ``name`` (default: the ``lm`` setting).

    Local models are assembled on first use (with a progress bar) and loaded
    once per process (per ``slot``: a local model instance with its own prompt
    cache). Litellm model strings use ``lm_api_base`` when set.
    ``cache=False`` turns DSPy's response cache off (for benchmarks).
    """
    import dspy

    from workbench.lm_events import attach

    settings = settings or get_settings()
    name = name or settings.lm
    common: dict[str, Any] = {"temperature": settings.lm_temperature, "max_tokens": settings.lm_max_tokens,
                              "cache": cache}
    if not is_local(name):
        if settings.lm_api_base:
            common["api_base"] = settings.lm_api_base
        return attach(dspy.LM(name, **common))
    path = model_path(name, cache_dir=settings.cache_dir, progress=progress)
    spec = REGISTRY.get(name)
    identity = f"{spec.name}-{spec.sha256[:12]}" if spec else f"{path.stem}-{path.stat().st_size}"
    engine = LlamaCppEngine(
        path, n_ctx=settings.lm_context, n_threads=settings.threads, timeout_s=settings.lm_timeout_s, slot=slot,
        prefix_cache_mb=settings.lm_prefix_cache_mb, prefill=settings.lm_prefill,
    )
    return attach(dspy.LM(f"local/{identity}", engine=engine, async_engine=AsyncLlamaCppEngine(engine), **common))


def resolve_lm(lm: dspy.BaseLM | str | None, *, settings: Settings | None = None, cache: bool = True,
               slot: str = "") -> dspy.BaseLM:
    """``lm`` itself when it is already a DSPy LM, else ``load_lm(lm, slot=slot)`` (a name, or None for the setting).

    Either way the LM reports its cache hits and API calls to the current trace (``workbench.lm_events``).
    """
    import dspy

    from workbench.lm_events import attach

    return attach(lm) if isinstance(lm, dspy.BaseLM) else load_lm(lm, settings=settings, cache=cache, slot=slot)


def lm_context(lm: dspy.BaseLM | None = None, **extra: Any) -> contextlib.AbstractContextManager[None]:
    """The DSPy settings workbench programs run under: ``lm``, the lenient chat adapter, token usage tracked.

    ``lm=None`` keeps the LM already configured (``dspy.configure`` or an enclosing context). ``extra``
    settings (any ``dspy.context`` keyword) pass through and win over these defaults. Tracking usage does
    not change the prompt; it lets ``prediction_tokens`` read what each prediction spent.

        >>> with lm_context(resolve_lm(None)):   # doctest: +SKIP
        ...     Judge()(question="...", evidence="...")
    """
    import dspy

    from workbench.programs.adapter import LenientChatAdapter

    overrides: dict[str, Any] = {"adapter": LenientChatAdapter(), "track_usage": True}
    if lm is not None:
        overrides["lm"] = lm
    return dspy.context(**{**overrides, **extra})


def prediction_tokens(prediction: Any) -> dict[str, int]:
    """Prompt and completion tokens a DSPy prediction used (tracked under ``lm_context``), over all LMs."""
    usage = prediction.get_lm_usage() or {}
    return {k: int(sum(u.get(k, 0) or 0 for u in usage.values())) for k in ("prompt_tokens", "completion_tokens")}
