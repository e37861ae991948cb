"""The package's import graph: no import cycles, and every import goes down (or across) the layers.

Every ``import`` of a ``workbench`` module counts, wherever it is written: at module level, inside a
function (a lazy import) or under ``if TYPE_CHECKING:``. A lazy or type-only import still ties two
modules together; it only hides the loop until someone moves the import. ``from workbench.x import y``
is an edge to the submodule ``workbench.x.y`` when ``y`` is one, else to ``workbench.x``; relative
imports resolve the same way. A package's ``__init__`` importing its own submodules is an ordinary
edge (not a loop); a submodule importing its package back is a loop when the package imports it.
``import workbench`` (the package itself) from inside the package is an upward import: the package's
``__init__`` is a front end.

Two rules of DESIGN hold on top of the layers: workers never import the supervisor (it is above them),
and the supervisor knows the workers only through the agent protocol, so of the workers' and tools'
layers it imports the agent protocol (``workbench.agents.base``) and the result protocol
(``workbench.agents.result``) alone.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import workbench

# The layers, lowest first. A module may import modules of its own layer or a lower one, never a higher one.
# A name matches the module itself and, for a package, everything in it; the longest match wins, and the
# bare package name ``workbench`` means its ``__init__`` only.
LAYERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("base", "errors, settings, trace events, display and file helpers, retries, model files, MLflow tracking",
     ("workbench.errors", "workbench.config", "workbench.tracing", "workbench.display", "workbench.jsonl",
      "workbench.filelock", "workbench.resilience", "workbench.models", "workbench.tracking")),
    ("programs", "prompts: DSPy signatures and modules, their adapter, compiled-program files (DESIGN: "
                 "programs/ holds prompts and nothing else, so it imports nothing above base)",
     ("workbench.programs",)),
    ("lm", "language models: the llama.cpp engine, its saved prompt prefixes, its trace events, load_lm and "
           "lm_context (which runs programs on an LM, hence above programs)",
     ("workbench.prefix_cache", "workbench.llama_engine", "workbench.lm_events", "workbench.lm")),
    ("tools", "what workers work with: databases and text2sql, search indexes and rerankers",
     ("workbench.sql", "workbench.retrieval")),
    ("workers", "the agents and the single-worker ask(); DESIGN: workers never import the supervisor",
     ("workbench.agents",)),
    ("supervisor", "plans, runs and judges workers through the agent protocol",
     ("workbench.supervisor",)),
    ("studies", "what measures, tunes or shows the rest: evaluation, optimisation, experiments, the demo, "
                "widgets, notebook runs",
     ("workbench.evaluation", "workbench.optimize", "workbench.experiments", "workbench.demo",
      "workbench.widgets", "workbench.notebooks")),
    ("front ends", "the public package, the command line, the IPython magics",
     ("workbench", "workbench.cli", "workbench.magics")),
)

# Violations in files being rewritten elsewhere, tolerated until that rewrite lands: (importer, imported).
# The integrator empties this set; test_known_violations_are_still_real fails once an entry is fixed.
KNOWN_TO_FIX: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Edge:
    """One import statement of a package module naming another (or the same) package module."""

    source: str
    target: str
    path: Path
    line: int
    kind: str  # "module", "lazy" (inside a function) or "type" (under TYPE_CHECKING)

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target} ({self.kind})"


def modules(package_dir: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module of the package: dotted name -> (file, is a package ``__init__``)."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = [package, *path.relative_to(package_dir).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


Import = ast.Import | ast.ImportFrom


def import_statements(nodes: Iterable[ast.AST], kind: str = "module") -> Iterator[tuple[Import, str]]:
    """Every import statement among ``nodes`` and below, with its kind: ``module``, ``lazy`` or ``type``."""
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from import_statements(node.body, "type")
            yield from import_statements(node.orelse, kind)  # an ``else`` branch runs at import time
            continue
        if isinstance(node, Import):
            yield node, kind
        lazy = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and kind == "module"
        yield from import_statements(ast.iter_child_nodes(node), "lazy" if lazy else kind)


def import_edges(package_dir: Path, package: str) -> list[Edge]:
    """Every import of a module of ``package`` written in any of its modules, with file and line.

    A target that is not a module of the package (a typo, a module moved away) is kept as written.
    """
    known = modules(package_dir, package)
    root = package_dir.parent
    edges: list[Edge] = []
    for source, (path, is_package) in known.items():
        here = source.split(".") if is_package else source.split(".")[:-1]  # where relative imports start
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for statement, kind in import_statements(tree.body):
            if isinstance(statement, ast.Import):
                targets = [a.name for a in statement.names if a.name.split(".")[0] == package]
            else:
                base = here[: len(here) - statement.level + 1] if statement.level else []
                module = ".".join([*base, *([statement.module] if statement.module else [])])
                if module.split(".")[0] != package:
                    continue
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in statement.names]
            for target in dict.fromkeys(targets):
                edges.append(Edge(source, target, path.relative_to(root), statement.lineno, kind))
    return edges


def cycles(edges: list[Edge]) -> list[str]:
    """A readable line per import loop: self-imports, and each strongly connected component of two or more."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:  # Tarjan's algorithm; the graph is small, recursion is fine
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    loops = [f"{e.source} imports itself: {e}" for e in edges if e.source == e.target]
    for component in components:
        if len(component) > 1:
            first = {(e.source, e.target): e for e in reversed(edges)}  # the first import of each pair
            path = shortest_loop(graph, set(component))
            steps = [str(first[pair]) for pair in itertools.pairwise(path)]
            loops.append(f"import cycle between {', '.join(component)}; the shortest loop is "
                         f"{' -> '.join(path)}:\n    " + "\n    ".join(steps))
    return loops


def shortest_loop(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """The shortest closed path inside ``component`` (first node repeated at the end), by breadth-first search."""
    best: list[str] = []
    for start in sorted(component):
        parents: dict[str, str] = {}
        frontier = [start]
        while frontier and start not in parents:
            following = []
            for node in frontier:
                for nxt in sorted(graph[node] & component):
                    if nxt not in parents:
                        parents[nxt] = node
                        following.append(nxt)
            frontier = following
        path = [start]
        while len(path) == 1 or path[-1] != start:
            path.append(parents[path[-1]])
        path.reverse()
        if not best or len(path) < len(best):
            best = path
    return best


def layer_of(module: str) -> int | None:
    """The index in ``LAYERS`` of the layer ``module`` belongs to (longest matching name), or None."""
    best: tuple[int, int] | None = None
    for number, (_, _, names) in enumerate(LAYERS):
        for name in names:
            matches = module == name or (name != "workbench" and module.startswith(name + "."))
            if matches and (best is None or len(name) > best[1]):
                best = (number, len(name))
    return None if best is None else best[0]


def upward(edges: list[Edge]) -> list[tuple[Edge, str]]:
    """Imports of a module in a higher layer than the importer's, each with why (``"tools -> supervisor"``)."""
    found = []
    for e in edges:
        source, target = layer_of(e.source), layer_of(e.target)
        if source is not None and target is not None and target > source:
            found.append((e, f"goes up a layer, {LAYERS[source][0]} -> {LAYERS[target][0]}"))
    return found


WORKERS = ("workers", "tools")
AGENT_PROTOCOLS = ("workbench.agents.base", "workbench.agents.result")


def against_design(edges: list[Edge]) -> list[tuple[Edge, str]]:
    """Imports that break a DESIGN rule the layers alone do not state, each with the rule."""
    layer = {name: number for number, (name, _, _) in enumerate(LAYERS)}
    found = []
    for e in edges:
        source, target = layer_of(e.source), layer_of(e.target)
        if source == layer["supervisor"] and target in {layer[w] for w in WORKERS} and e.target not in AGENT_PROTOCOLS:
            found.append((e, "the supervisor knows workers only through the agent and result protocols "
                             f"({', '.join(AGENT_PROTOCOLS)})"))
    return found


PACKAGE_DIR = Path(workbench.__file__).resolve().parent


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(PACKAGE_DIR, "workbench")


def test_every_import_names_a_module_that_exists(edges):
    known = modules(PACKAGE_DIR, "workbench")
    wrong = [str(e) for e in edges if e.target not in known]
    assert not wrong, "Imports of modules that do not exist:\n" + "\n".join(wrong)


def test_there_are_no_import_cycles(edges):
    loops = cycles(edges)
    assert not loops, "Import cycles (a lazy or type-only import is still a cycle):\n" + "\n".join(loops)


def test_every_module_belongs_to_a_layer():
    unplaced = [name for name in modules(PACKAGE_DIR, "workbench") if layer_of(name) is None]
    assert not unplaced, f"Add these modules to LAYERS in {Path(__file__).name}: {', '.join(unplaced)}"


def test_imports_never_go_up_a_layer_nor_past_the_agent_protocol(edges):
    wrong = [f"{e}: {why}" for e, why in [*upward(edges), *against_design(edges)]
             if (e.source, e.target) not in KNOWN_TO_FIX]
    assert not wrong, "Imports against the layers (see LAYERS) or DESIGN:\n" + "\n".join(wrong)


def test_known_violations_are_still_real(edges):
    real = {(e.source, e.target) for e, _ in [*upward(edges), *against_design(edges)]}
    fixed = sorted(KNOWN_TO_FIX - real)
    assert not fixed, f"Fixed now, remove them from KNOWN_TO_FIX: {fixed}"


def test_a_worker_importing_the_supervisor_is_refused():
    edge = Edge("workbench.agents.retrieval", "workbench.supervisor.state", Path("workbench/agents/retrieval.py"), 9,
                "lazy")
    assert upward([edge]) == [(edge, "goes up a layer, workers -> supervisor")]
    assert str(edge) == "workbench/agents/retrieval.py:9 imports workbench.supervisor.state (lazy)"


def test_the_supervisor_may_import_the_agent_and_result_protocols_and_nothing_else_of_the_workers():
    def edge(target: str) -> Edge:
        return Edge("workbench.supervisor.nodes", target, Path("workbench/supervisor/nodes.py"), 1, "module")

    allowed = [edge("workbench.agents.base"), edge("workbench.agents.result"), edge("workbench.lm"),
               edge("workbench.programs.judge")]
    refused = [edge("workbench.agents.retrieval"), edge("workbench.agents.charts"), edge("workbench.retrieval.results"),
               edge("workbench.sql.database")]
    assert against_design(allowed) == [] and [e for e, _ in against_design(refused)] == refused


def test_the_walker_sees_every_kind_of_import_and_names_the_cycle(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub import a\n")
    (pkg / "sub" / "__init__.py").write_text("from . import a\n")
    (pkg / "sub" / "a.py").write_text("import os\n\ndef f():\n    from ..base import thing\n")
    (pkg / "sub" / "b.py").write_text("import pkg.sub.a as alias\nfrom pkg import sub, base\nfrom pkg.sub.a import f\n"
                                      "from pkg.gone import x\n")
    found = {(e.source, e.target, e.kind) for e in import_edges(pkg, "pkg")}
    assert found == {
        ("pkg.base", "pkg.sub.a", "type"),
        ("pkg.sub", "pkg.sub.a", "module"),  # a package importing its own submodule
        ("pkg.sub.a", "pkg.base", "lazy"),
        ("pkg.sub.b", "pkg.sub.a", "module"),
        ("pkg.sub.b", "pkg.sub", "module"),
        ("pkg.sub.b", "pkg.base", "module"),
        ("pkg.sub.b", "pkg.gone", "module"),  # kept as written: no such module
    }
    (loop,) = cycles(import_edges(pkg, "pkg"))
    assert loop.startswith("import cycle between pkg.base, pkg.sub.a; the shortest loop is pkg.base -> pkg.sub.a -> "
                           "pkg.base:")
    assert "pkg/base.py:3 imports pkg.sub.a (type)" in loop and "pkg/sub/a.py:4 imports pkg.base (lazy)" in loop
