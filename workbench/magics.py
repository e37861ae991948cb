"""IPython magics: ``%load_ext workbench``, then ``%%ask`` and ``%workbench_trace``.

``%%ask [--lm NAME] [--db FILE] [--corpus DIR] [--supervisor VAR]`` sends the
cell's text to a supervisor and displays the ``RunResult`` (also kept as
``_ask``): the supervisor in the notebook variable ``VAR`` when given, else
the demo supervisor (SQL over ``--db``, default the demo database, and
retrieval over ``--corpus``, default SciFact), built once per option set.
While it runs, a ``TraceViewer`` above the result shows the trace live.

``%workbench_trace [VAR | PATH]`` shows a ``TraceViewer`` for the last
``%%ask`` result, a notebook variable holding a ``RunResult`` or ``Trace``,
or a trace saved as JSON.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from workbench.errors import InputError

_supervisors: dict[tuple[Any, ...], Any] = {}


def _ask_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%%ask", add_help=False)
    parser.add_argument("--lm")
    parser.add_argument("--db")
    parser.add_argument("--corpus")
    parser.add_argument("--supervisor")
    return parser


def ask_magic(ipython: Any, line: str, cell: str) -> Any:
    """The body of ``%%ask``: run the cell's question, live trace above, result below; returns the result."""
    from IPython.display import display

    from workbench.supervisor.supervisor import Supervisor, run_sync
    from workbench.widgets.trace_viewer import TraceViewer

    try:
        args = _ask_parser().parse_args(shlex.split(line))
    except SystemExit:
        raise InputError(f"%%ask takes --lm NAME, --db FILE, --corpus DIR or --supervisor VAR; got {line!r}") from None
    question = cell.strip()
    if not question:
        raise InputError("%%ask needs a question in the cell body")
    if args.supervisor:
        supervisor = ipython.user_ns.get(args.supervisor)
        if not isinstance(supervisor, Supervisor):
            raise InputError(f"--supervisor {args.supervisor}: no Supervisor in a notebook variable of that name")
    else:
        key = (args.lm, args.db, args.corpus)
        if key not in _supervisors:
            from workbench.demo import demo_supervisor

            _supervisors[key] = demo_supervisor(lm=args.lm, db=args.db, corpus=args.corpus)
        supervisor = _supervisors[key]
    viewer = TraceViewer()
    display(viewer)

    async def run() -> Any:
        result = None
        async for event in supervisor.astream(question):
            viewer.add(event)
            result = event.data.get("result", result)
        return result

    result = run_sync(run())  # works inside Jupyter's running loop too
    ipython.user_ns["_ask"] = result
    return result


def trace_magic(ipython: Any, line: str) -> Any:
    """The body of ``%workbench_trace``: a ``TraceViewer`` for the last result, a variable or a JSON file."""
    from workbench.tracing import Trace
    from workbench.widgets.trace_viewer import TraceViewer

    target = line.strip()
    if not target:
        value = ipython.user_ns.get("_ask")
        if value is None:
            raise InputError("%workbench_trace: no %%ask result yet; pass a variable name or a trace JSON file")
    elif target in ipython.user_ns:
        value = ipython.user_ns[target]
    elif Path(target).is_file():
        return TraceViewer.open(target)
    else:
        raise InputError(f"%workbench_trace: {target!r} is neither a notebook variable nor a file")
    trace = value if isinstance(value, Trace) else getattr(value, "trace", None)
    if not isinstance(trace, Trace):
        raise InputError(f"%workbench_trace: {target or '_ask'} holds a {type(value).__name__}, not a RunResult "
                         "or Trace")
    return TraceViewer(trace)


def load(ipython: Any) -> None:
    """Register ``%%ask`` and ``%workbench_trace`` with ``ipython``."""
    ipython.register_magic_function(lambda line, cell: ask_magic(ipython, line, cell), "cell", "ask")
    ipython.register_magic_function(lambda line: trace_magic(ipython, line), "line", "workbench_trace")
