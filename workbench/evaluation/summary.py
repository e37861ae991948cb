"""``Summary``: the base of the typed summaries the evaluations, benchmarks and optimisations return.

Each runner returns a frozen dataclass of its own (``Text2SQLSummary``,
``RetrievalSummary``, ...) whose fields are its figures, read as attributes
(``summary.ex``). ``as_dict()`` gives exactly what the runner writes as
``summary.json`` (same keys, same order), and the summary is also a read-only
mapping over those keys, so ``summary["ex"]``, ``"ex_duckdb" in summary``,
``.get`` and ``.items()`` work as they did on the plain dicts. A field named
differently in the file (``ndcg@10`` is ``ndcg_at_10``) says so with
``figure(key=...)``; a figure only some runs have is ``figure(optional=True)``,
absent from the file and the mapping when ``None``.

In Jupyter a summary shows its headline figures as a table and every
per-group figure (EX by hardness, say) as a bar chart, drawn by plotly's own
renderer so it works offline.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from workbench.display import parts_html, show

HEADLINE = ("n", "ex", "ex_duckdb", "accuracy", "consistency", "both_correct", "first_position_rate", "ndcg@10",
            "recall@100", "mrr@10", "seconds_p50", "seconds_p95", "latency_ms_p50", "wall_s", "lm", "method",
            "compiled")


def figure(*, key: str | None = None, optional: bool = False) -> Any:
    """A summary field stored under ``key`` in ``summary.json`` (default: its name); an ``optional`` one
    defaults to ``None`` and is left out of the file while it is ``None``."""
    metadata = {"key": key, "optional": optional}
    return dataclasses.field(default=None, metadata=metadata) if optional else dataclasses.field(metadata=metadata)


class Summary(Mapping[str, Any]):
    """Base of the summary dataclasses: ``as_dict``, read-only mapping access, a title and a notebook display.

    Subclasses are ``@dataclass(frozen=True, kw_only=True, eq=False)`` (equality is the mapping's, so a summary
    equals the dict read back from its ``summary.json``) and define ``title``; ``HEADLINE`` names the figures
    shown in the notebook table, in order.
    """

    HEADLINE: ClassVar[tuple[str, ...]] = HEADLINE

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return type(self).__name__

    @functools.cached_property
    def _file(self) -> dict[str, Any]:
        """The figures under their file keys, in field order, unset optional figures left out (built once: the
        summary is frozen)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.metadata.get("optional") and value is None:
                continue
            out[f.metadata.get("key") or f.name] = value
        return out

    def as_dict(self) -> dict[str, Any]:
        """The figures as ``summary.json`` holds them: file keys in field order, unset optional figures left out."""
        return dict(self._file)

    def write(self, path: Path, *, ensure_ascii: bool = True) -> Path:
        """Write ``as_dict()`` to ``path`` as indented JSON (how every runner writes its summary file)."""
        path.write_text(json.dumps(self._file, indent=2, ensure_ascii=ensure_ascii) + "\n")
        return path

    def __getitem__(self, key: str) -> Any:
        return self._file[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._file)

    def __len__(self) -> int:
        return len(self._file)

    def _parts(self) -> list[Any]:
        import plotly.express as px

        values = self._file
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(values[k]))}</td>"
                       f"</tr>" for k in self.HEADLINE if values.get(k) is not None)
        parts: list[Any] = [f"<h4>{html.escape(self.title)}</h4><table>{rows}</table>"]
        for key, value in values.items():
            if isinstance(value, dict) and value and all(isinstance(v, int | float) for v in value.values()) \
                    and key.startswith(("ex_by", "errors_by", "n_by")):
                fig = px.bar(x=list(value), y=list(value.values()), labels={"x": key.split("_by_")[-1], "y": key},
                             title=key.replace("_", " "), height=280)
                parts.append(fig)
        return parts

    def _repr_html_(self) -> str:
        return parts_html(self._parts())

    def _ipython_display_(self) -> None:
        show(self._parts())
