"""One Settings object for the whole workbench.

Every field has an embedded default that works offline on a small CPU
machine, and every field can be overridden by an environment variable
named ``WORKBENCH_<FIELD>`` (upper case) or by an argument::

    >>> from workbench import Settings
    >>> Settings(lm="qwen2.5-coder-0.5b").lm
    'qwen2.5-coder-0.5b'

``get_settings()`` returns the process-wide settings (read from the
environment once); ``configure(**changes)`` replaces them, for example at the
top of a notebook.
"""

from __future__ import annotations

import dataclasses
import html
import os
import threading
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from workbench.errors import InputError

ENV_PREFIX = "WORKBENCH_"


def _default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench"


@dataclass(frozen=True)
class Settings:
    """Configuration of the workbench; immutable, cheap to copy with ``replace``.

    Attributes:
        lm: The language model: a registry name (``qwen2.5-coder-1.5b``,
            ``qwen2.5-coder-0.5b``), a path to a local ``.gguf`` file, or any
            litellm model string (``openai/gpt-4o-mini``,
            ``ollama_chat/qwen2.5-coder:7b``).
        lm_api_base: Base URL for an OpenAI-compatible server (vLLM, Ollama)
            when ``lm`` is a litellm model string.
        lm_temperature: Sampling temperature; 0 makes local runs repeatable.
        lm_max_tokens: Upper bound on generated tokens per call.
        lm_timeout_s: Wall-clock limit of one local generation; the model
            stops at the limit and the answer is marked truncated.
        lm_context: Context window (tokens) of local models.
        lm_threads: CPU threads for local models; 0 means all cores.
        lm_prefill: Put the first output field's header of a DSPy prompt in the
            prompt and stop at its completion marker instead of generating both.
        lm_prefix_cache_mb: Megabytes of evaluated prompt prefixes each local
            model context keeps (``workbench.prefix_cache``); 0 keeps only the
            prefix the context holds.
        cache_dir: Where assembled model files and other caches live.
        home: Project folder; the MLflow store lives here by default.
        mlflow_uri: MLflow tracking URI; empty means ``sqlite:///<home>/mlflow.db``.
        sql_row_limit: Most rows a generated query may return.
        sql_timeout_s: Wall-clock limit of one generated query.
        embedding_model: Sentence-transformers model for dense retrieval: a
            packaged name (``all-MiniLM-L6-v2``) or a local model folder.
        retrieval_ann_threshold: Vector count above which a new dense index
            is approximate (``retrieval_ann``) rather than exact.
        retrieval_ann: The approximate index kind: ``ivf`` or ``hnsw``.
        retrieval_fusion: How BM25 and dense rankings are fused: ``weighted``
            (min-max normalised scores) or ``rrf`` (reciprocal rank, k = 60).
        supervisor_threshold: The evaluator's probability in [0, 1] at which
            the supervisor stops iterating and answers (0.5, chosen on visible
            Spider by ``workbench optimize evaluator fit``).
        supervisor_max_iterations: Most plan → execute → evaluate rounds.
        agent_timeout_s: Limit of one attempt of one agent.
        step_timeout_s: Limit of one plan step (all its agents, retries included).
        sessions_db: SQLite file where supervisor sessions are checkpointed;
            empty means ``<home>/sessions.db``; ``:memory:`` keeps none.
        use_compiled: Load the optimised (compiled) text2sql program saved
            for the LM in use, when one exists (``workbench optimize``).
    """

    lm: str = "qwen2.5-coder-1.5b"
    lm_api_base: str = ""
    lm_temperature: float = 0.0
    lm_max_tokens: int = 512
    lm_timeout_s: float = 120.0
    lm_context: int = 4096
    lm_threads: int = 0
    lm_prefix_cache_mb: int = 512
    lm_prefill: bool = True
    cache_dir: Path = field(default_factory=_default_cache_dir)
    home: Path = field(default_factory=Path.cwd)
    mlflow_uri: str = ""
    sql_row_limit: int = 1000
    sql_timeout_s: float = 30.0
    embedding_model: str = "all-MiniLM-L6-v2"
    retrieval_ann_threshold: int = 100_000
    retrieval_ann: str = "ivf"
    retrieval_fusion: str = "weighted"
    supervisor_threshold: float = 0.5
    supervisor_max_iterations: int = 2
    agent_timeout_s: float = 180.0
    step_timeout_s: float = 400.0
    sessions_db: str = ""
    use_compiled: bool = True

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            converted = _coerce(f.name, _field_type(f), value)
            object.__setattr__(self, f.name, converted)
        if self.lm_max_tokens <= 0:
            raise InputError(f"lm_max_tokens must be positive, got {self.lm_max_tokens}")
        if self.sql_row_limit <= 0:
            raise InputError(f"sql_row_limit must be positive, got {self.sql_row_limit}")
        if not 0 <= self.supervisor_threshold <= 1:
            raise InputError(f"supervisor_threshold must be in [0, 1], got {self.supervisor_threshold}")
        if self.supervisor_max_iterations < 1:
            raise InputError(f"supervisor_max_iterations must be at least 1, got {self.supervisor_max_iterations}")

    @classmethod
    def from_env(cls, environ: typing.Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``WORKBENCH_*`` variables, then apply ``overrides``.

        Unknown ``WORKBENCH_*`` variables raise, so a typo is not silently ignored.
        """
        environ = os.environ if environ is None else environ
        names = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in environ.items():
            if not key.startswith(ENV_PREFIX):
                continue
            name = key[len(ENV_PREFIX) :].lower()
            if name not in names:
                known = ", ".join(ENV_PREFIX + n.upper() for n in sorted(names))
                raise InputError(f"Unknown setting {key}={raw!r}. Known variables: {known}")
            values[name] = raw
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI in force (``mlflow_uri`` or the SQLite default)."""
        return self.mlflow_uri or f"sqlite:///{(self.home / 'mlflow.db').resolve()}"

    @property
    def sessions_path(self) -> str:
        """The SQLite file of supervisor sessions in force (``sessions_db`` or ``<home>/sessions.db``)."""
        return self.sessions_db or str((self.home / "sessions.db").resolve())

    @property
    def threads(self) -> int:
        """CPU threads for local inference (``lm_threads``, or every core)."""
        return self.lm_threads or (os.cpu_count() or 1)

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain values, for logging (e.g. as MLflow params)."""
        return {f.name: (str(v) if isinstance(v, Path) else v) for f in fields(self) for v in [getattr(self, f.name)]}

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{ENV_PREFIX}{k.upper()}</code></td><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.as_dict().items()
        )
        return f"<table><thead><tr><th>setting</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"


def _field_type(f: dataclasses.Field[Any]) -> type:
    hint = typing.get_type_hints(Settings)[f.name]
    if isinstance(hint, types.UnionType):  # e.g. ``int | None``
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return hint


def _coerce(name: str, kind: type, value: Any) -> Any:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    try:
        if kind is Path:
            return Path(os.path.expanduser(str(value)))
        if kind is bool:
            return str(value).strip().lower() in {"1", "true", "yes", "on"}
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"Setting {name} (env {ENV_PREFIX}{name.upper()}) must be {kind.__name__}, got {value!r}"
        ) from exc


_lock = threading.Lock()
_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Settings.from_env()
        return _current


def configure(**changes: Any) -> Settings:
    """Change the process-wide settings (e.g. ``configure(lm="qwen2.5-coder-0.5b")``) and return them."""
    global _current
    current = get_settings()
    with _lock:
        _current = current.replace(**changes)
        return _current
