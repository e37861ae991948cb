"""Optimised DSPy programs on disk: their state as JSON, with what they were optimised for.

A compiled program is one JSON file in ``workbench/programs/compiled/`` (or
another folder): ``{"meta": {...}, "state": program.dump_state()}``. The
metadata says which program and prompt version it is, its variant (e.g.
``predict`` or ``cot``: their states do not fit each other), the LM it was
optimised with, the training set's fingerprint, the metric and score, the
optimiser, when, and the DSPy version.

``load_compiled`` refuses a file made for another program, prompt version or
variant, naming what differs, and checks that the demonstrations really came
back: DSPy restores a predictor's demos only when the module layout matches,
and a silently zero-shot "optimised" program is the classic pitfall.

``workbench optimize`` writes these files; ``load_default_text2sql`` is how
the text2sql pipeline picks up the one made for the LM in use (setting
``use_compiled``, env ``WORKBENCH_USE_COMPILED``).
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import MissingInputError, WorkbenchError

COMPILED_DIR = Path(__file__).resolve().parent / "compiled"
TEXT2SQL = "text2sql"  # the program name text2sql files are saved under


class CompiledProgramError(WorkbenchError, ValueError):
    """A compiled program file does not fit the program it is loaded into; the message says why."""


@dataclass
class CompiledMeta:
    """What a compiled program is and what it was optimised for."""

    program: str
    version: str
    variant: str
    lm: str
    trainset: str = ""
    metric: str = ""
    score: float | None = None
    baseline: float | None = None
    optimizer: str = ""
    created: str = field(default_factory=lambda: datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))
    dspy: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def compiled_path(program: str, lm: str, variant: str, folder: str | Path = COMPILED_DIR) -> Path:
    """Where the compiled ``program`` (``variant``) for ``lm`` lives."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", lm)
    return Path(folder) / f"{program}--{variant}--{slug}.json"


def save_compiled(module: Any, meta: CompiledMeta, folder: str | Path = COMPILED_DIR) -> Path:
    """Write ``module``'s state with ``meta``; returns the file."""
    import dspy

    meta.dspy = meta.dspy or dspy.__version__
    path = compiled_path(meta.program, meta.lm, meta.variant, folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"meta": asdict(meta), "state": module.dump_state()}
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path


def load_compiled(module: Any, path: str | Path, *, program: str, version: str, variant: str) -> CompiledMeta:
    """Load the state in ``path`` into ``module`` and return its metadata.

    Raises ``CompiledProgramError`` when the file is for another program, prompt version or variant, or when
    the module does not end up with the saved demonstrations and instructions.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"No compiled program at {path}; pass a file written by `workbench optimize`")
    payload = json.loads(path.read_text(encoding="utf-8"))
    meta = CompiledMeta(**payload["meta"])
    wanted = {"program": program, "version": version, "variant": variant}
    differs = [f"{k} {getattr(meta, k)!r} (wanted {v!r})" for k, v in wanted.items() if getattr(meta, k) != v]
    if differs:
        raise CompiledProgramError(f"{path} does not fit: {', '.join(differs)}; re-run the optimiser for this "
                                   "program or load the matching variant")
    state = payload["state"]
    try:
        module.load_state(state)
    except KeyError as exc:
        raise CompiledProgramError(f"{path} does not fit the module's predictors (missing {exc}); it was saved "
                                   "from a differently built program") from None
    _check_restored(module, state, path)
    return meta


def find_compiled(program: str, lm: str, variant: str, folder: str | Path = COMPILED_DIR) -> Path | None:
    """The compiled program for ``lm`` if there is one."""
    path = compiled_path(program, lm, variant, folder)
    return path if path.is_file() else None


def _check_restored(module: Any, state: dict[str, Any], path: Path) -> None:
    """Every predictor has as many demos as saved, and the saved instructions."""
    for name, predictor in module.named_predictors():
        saved = state.get(name, {})
        demos = saved.get("demos", [])
        if len(predictor.demos) != len(demos):
            raise CompiledProgramError(f"{path}: predictor {name} has {len(predictor.demos)} demos after loading, "
                                       f"{len(demos)} were saved")
        instructions = saved.get("signature", {}).get("instructions")
        if instructions is not None and predictor.signature.instructions != instructions:
            raise CompiledProgramError(f"{path}: predictor {name} did not take the saved instructions")


def lm_name(lm: Any) -> str:
    """The name compiled programs are filed under: a DSPy LM's ``model`` (local models carry their sha256)."""
    return str(getattr(lm, "model", None) or lm)


def load_default_text2sql(chain_of_thought: bool, lm: Any = None, *, use_compiled: bool | None = None,
                          folder: str | Path | None = None) -> tuple[Any, CompiledMeta | None]:
    """The text2sql program for ``lm`` (default: DSPy's configured LM): the compiled one saved for that LM and
    variant when there is one and ``use_compiled`` (default: the setting) allows it, else zero-shot.

    Returns ``(program, meta)``; ``meta`` is None for the zero-shot program.
    """
    import dspy

    from workbench.config import get_settings
    from workbench.programs.text2sql import Text2SQL

    if use_compiled is None:
        use_compiled = get_settings().use_compiled
    lm = lm if lm is not None else dspy.settings.lm
    path = None
    if use_compiled and lm is not None:
        path = find_compiled(TEXT2SQL, lm_name(lm), variant_of(chain_of_thought), folder or COMPILED_DIR)
    if path is None:
        return Text2SQL(chain_of_thought=chain_of_thought), None
    return load_text2sql(path, chain_of_thought)


def variant_of(chain_of_thought: bool) -> str:
    """The variant a text2sql program is filed under: ``cot`` or ``predict`` (their states do not fit each other)."""
    return "cot" if chain_of_thought else "predict"


def load_text2sql(path: str | Path, chain_of_thought: bool) -> tuple[Any, CompiledMeta]:
    """A text2sql program (``ChainOfThought`` or ``Predict``) with the compiled state in ``path``, and its metadata."""
    from workbench.programs.text2sql import VERSION, Text2SQL

    program = Text2SQL(chain_of_thought=chain_of_thought)
    meta = load_compiled(program, path, program=TEXT2SQL, version=VERSION, variant=variant_of(chain_of_thought))
    return program, meta
