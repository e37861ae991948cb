"""Experiment specs: a YAML file describing a grid of evaluations, and the cells it expands to.

```yaml
name: prompt-variants             # the MLflow experiment
lms: [qwen2.5-coder-0.5b]         # text2sql cells run once per LM
budget: {max_minutes: 60, max_tokens: 2000000}   # optional; stops cleanly, keeping what finished
text2sql:
  variants: [predict, repair, cot]               # names in workbench.programs.variants
  samples: [20]                                  # questions per cell (seeded shuffle, then the first N)
  seed: 0
  datasets:
    - {name: spider, questions: data/spider/questions.json, db_dir: data/spider/database}
retrieval:
  configs: {weighted: {fusion: weighted}, rrf: {fusion: rrf}}   # RetrievalConfig fields
  methods: [hybrid]
  samples: [100]                                 # judged queries per cell
  datasets:
    - {name: scifact, corpus: data/scifact/corpus.jsonl, queries: data/scifact/queries.jsonl,
       qrels: data/scifact/qrels/train.tsv}
```

Each combination of the axes of a section is one ``Cell``: text2sql cells
cross variant × LM × dataset × sample size, retrieval cells cross
configuration × method × dataset × sample size. Relative paths are read from
the project folder (where ``experiments/`` lives).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import InputError, MissingInputError

TEXT2SQL_KEYS = {"variants", "samples", "seed", "datasets"}
RETRIEVAL_KEYS = {"configs", "methods", "samples", "datasets"}
TOP_KEYS = {"name", "description", "lms", "budget", "text2sql", "retrieval"}


@dataclass(frozen=True)
class Cell:
    """One evaluation of the grid: its kind, variant, LM, dataset and sample size."""

    kind: str
    variant: str
    lm: str | None
    dataset: str
    sample: int | None
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    data: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    method: str = ""
    seed: int | None = None

    @property
    def label(self) -> str:
        """A short unique name, also the child run's name and the output folder."""
        parts = [self.kind, self.variant, self.method, (self.lm or "").split("/")[-1], self.dataset,
                 f"n{self.sample}" if self.sample else "all"]
        return "-".join(p for p in parts if p)

    def params(self) -> dict[str, Any]:
        """The cell's axes as MLflow parameters."""
        return {"kind": self.kind, "variant": self.variant, "lm": self.lm or "", "dataset": self.dataset,
                "sample": self.sample or "all", "method": self.method, "seed": self.seed,
                **{f"setting_{k}": v for k, v in self.settings.items()}}


@dataclass(frozen=True)
class Spec:
    """A parsed experiment spec."""

    name: str
    path: Path
    cells: list[Cell]
    description: str = ""
    max_minutes: float | None = None
    max_tokens: int | None = None


def load_spec(path: str | Path, root: str | Path | None = None) -> Spec:
    """Read and check ``path``; errors name the file and the key that is wrong."""
    import yaml

    from workbench.programs.variants import text2sql_variant

    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"No experiment spec at {path}; specs live in experiments/NAME.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from exc
    if not isinstance(raw, dict):
        raise InputError(f"{path}: an experiment spec is a YAML mapping (name, lms, text2sql, retrieval, budget)")
    _no_unknown(path, "the top level", raw, TOP_KEYS)
    if not raw.get("name"):
        raise InputError(f"{path}: 'name' is required (it names the MLflow experiment)")
    root = Path(root) if root else path.resolve().parent.parent
    cells: list[Cell] = []
    t2s = raw.get("text2sql")
    if t2s:
        _no_unknown(path, "text2sql", t2s, TEXT2SQL_KEYS)
        lms = _list(path, "lms", raw.get("lms") or [None])
        for variant in _list(path, "text2sql.variants", t2s.get("variants")):
            try:
                text2sql_variant(variant)
            except InputError as exc:
                raise InputError(f"{path}: text2sql.variants: {exc}") from None
        for variant, lm, data, sample in itertools.product(
                t2s["variants"], lms, _datasets(path, "text2sql", t2s, ("questions", "db_dir"), root),
                _list(path, "text2sql.samples", t2s.get("samples") or [None])):
            cells.append(Cell("text2sql", variant, lm, data["name"], sample, data=data, seed=t2s.get("seed", 0)))
    ret = raw.get("retrieval")
    if ret:
        _no_unknown(path, "retrieval", ret, RETRIEVAL_KEYS)
        configs = ret.get("configs") or {"default": {}}
        if not isinstance(configs, dict):
            raise InputError(f"{path}: retrieval.configs maps a name to RetrievalConfig fields, e.g. "
                             "{rrf: {fusion: rrf}}")
        _check_configs(path, configs)
        for (name, settings), method, data, sample in itertools.product(
                configs.items(), _list(path, "retrieval.methods", ret.get("methods") or ["hybrid"]),
                _datasets(path, "retrieval", ret, ("corpus", "queries", "qrels"), root),
                _list(path, "retrieval.samples", ret.get("samples") or [None])):
            cells.append(Cell("retrieval", name, None, data["name"], sample, settings=dict(settings or {}),
                              data=data, method=method))
    if not cells:
        raise InputError(f"{path}: the spec has no cells; give a text2sql or a retrieval section")
    budget = raw.get("budget") or {}
    _no_unknown(path, "budget", budget, {"max_minutes", "max_tokens"})
    return Spec(str(raw["name"]), path, cells, str(raw.get("description") or ""), budget.get("max_minutes"),
                budget.get("max_tokens"))


def _datasets(path: Path, section: str, body: dict[str, Any], keys: tuple[str, ...],
              root: Path) -> list[dict[str, str]]:
    datasets = _list(path, f"{section}.datasets", body.get("datasets"))
    out = []
    for i, data in enumerate(datasets):
        missing = [k for k in ("name", *keys) if not isinstance(data, dict) or k not in data]
        if missing:
            raise InputError(f"{path}: {section}.datasets[{i}] lacks {', '.join(missing)}")
        resolved = {"name": str(data["name"])}
        for key in keys:
            location = Path(data[key]) if Path(data[key]).is_absolute() else root / data[key]
            if not location.exists():
                raise MissingInputError(f"{path}: {section}.datasets[{i}].{key} {data[key]!r} does not exist "
                                        f"(looked at {location})")
            resolved[key] = str(location)
        out.append(resolved)
    return out


def _check_configs(path: Path, configs: dict[str, Any]) -> None:
    import dataclasses

    from workbench.retrieval.index import RetrievalConfig

    fields = {f.name for f in dataclasses.fields(RetrievalConfig)}
    for name, settings in configs.items():
        unknown = sorted(set(settings or {}) - fields)
        if unknown:
            raise InputError(f"{path}: retrieval config {name!r} has unknown fields {unknown}; "
                             f"RetrievalConfig has {sorted(fields)}")
        try:
            RetrievalConfig(**(settings or {}))  # its own checks (e.g. the fusion name)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{path}: retrieval config {name!r}: {exc}") from None


def _list(path: Path, key: str, value: Any) -> list[Any]:
    if value is None:
        raise InputError(f"{path}: '{key}' is required")
    return list(value) if isinstance(value, list | tuple) else [value]


def _no_unknown(path: Path, where: str, body: Any, known: set[str]) -> None:
    if not isinstance(body, dict):
        raise InputError(f"{path}: {where} must be a mapping")
    unknown = sorted(set(body) - known)
    if unknown:
        raise InputError(f"{path}: unknown keys {unknown} in {where}; known: {sorted(known)}")
