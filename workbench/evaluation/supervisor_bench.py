"""``workbench bench supervisor``: what orchestration costs, alone and under 1,000 concurrent sessions.

The workers here are scripted: each sleeps a fixed latency and returns a fixed
text, the planner is the deterministic router, and the judge and answer
writer are plain functions. That isolates the supervisor's own cost (the
LangGraph graph, checkpointing every node to SQLite, the trace, selection,
timeouts, retries and breakers), which is what this benchmark measures; the
LM-backed components are measured by the accuracy evaluations instead.

Each run is a real ``Supervisor.arun``: plan → select → two agents in parallel
→ evaluate → answer, checkpointed after every node to a SQLite file in
``OUTDIR``.

* **overhead**: sequential runs with zero-latency agents in this process
  (default garbage collector); per run, the wall time of ``arun`` (p50/p95).
* **concurrency**: 1, 10, 100 and 1,000 sessions started at once with
  100 ms agents, spread over ``workers`` processes (default: one per core),
  each with its own ``Supervisor`` on the same session store. Each worker
  warms up, then all start together behind a barrier; ``wall_s`` runs from
  the earliest start to the last session's answer, and ``errors`` counts runs
  that raised or recorded an error. With ``gc_tuned`` the workers freeze the
  objects that exist after warm-up and raise the collector's first threshold,
  the usual setting for a Python service with many short-lived objects (the
  summary says which was used; ``--default-gc`` turns it off).
* **peak_rss_mb**: this process's peak resident memory plus each worker's.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary

DEFAULT_SESSIONS = (1, 10, 100, 1000)
AGENT_LATENCY_MS = 100.0
QUESTION = "How many papers per year, and what does the evidence say about the claim?"  # the router calls both
GC_THRESHOLD = (10_000, 10, 10)


@dataclass(frozen=True, kw_only=True, eq=False)
class SupervisorBenchSummary(Summary):
    """What ``bench_supervisor`` measured (``summary.json``): overhead per run, one row per concurrent session
    count (``sessions``, ``agent_latency_ms``, ``wall_s``, ``errors``, ``workers``, ``first_error``), peak memory,
    and the conditions (workers, cores, garbage collector, Python)."""

    HEADLINE = ("overhead_ms_p50", "overhead_ms_p95", "overhead_runs", "peak_rss_mb", "workers", "gc_tuned")

    overhead_ms_p50: float
    overhead_ms_p95: float
    overhead_runs: int
    peak_rss_mb: float
    concurrency: list[dict[str, Any]]
    workers: int
    cpu_count: int | None
    gc_tuned: bool
    gc_threshold: list[int]
    python: str
    agents_per_run: int
    session_store: str

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"supervisor overhead and concurrency: {self.workers} workers"


def scripted_supervisor(latency_s: float, store: str | Path) -> Any:
    """A ``Supervisor`` over two scripted agents of fixed latency, the router planner, and scripted judge and
    writer, checkpointing to ``store``."""
    from workbench.agents.base import AgentRegistry, FunctionAgent
    from workbench.supervisor.evaluator import Judgement
    from workbench.supervisor.supervisor import Supervisor

    def scripted(name: str) -> FunctionAgent:
        async def run(task: str) -> str:
            if latency_s:
                await asyncio.sleep(latency_s)
            return f"{name}: scripted result"

        return FunctionAgent(run, name=name, description=f"scripted, {latency_s * 1000:.0f} ms")

    async def judge(question: str, records: list[dict[str, Any]]) -> Judgement:
        return Judgement(1.0, "scripted", {r["agent"]: 1.0 for r in records}, "script")

    async def writer(question: str, evidence: str) -> str:
        return evidence[:200]

    registry = AgentRegistry([scripted("data_analysis"), scripted("retrieval")])
    return Supervisor(registry, planner="router", judge=judge, writer=writer, sessions=store,
                      settings=Settings.from_env())


def _failed(outcome: Any) -> bool:
    return isinstance(outcome, BaseException) or bool(outcome.errors)


async def _overhead(store: Path, runs: int, warmup: int) -> list[float]:
    sup = scripted_supervisor(0.0, store)
    for _ in range(warmup):
        await sup.arun(QUESTION)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await sup.arun(QUESTION)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _tune_gc() -> None:
    """What a long-running service does after start-up: freeze what exists, collect the young less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def _worker(pipe: Any, store: str, sessions: int, latency_s: float, barrier: Any, gc_tuned: bool) -> None:
    """One worker process: warm up, wait for the others, run ``sessions`` sessions at once, report."""

    async def main() -> dict[str, Any]:
        sup = scripted_supervisor(latency_s, store)
        await asyncio.gather(*(sup.arun(QUESTION) for _ in range(5)))
        if gc_tuned:
            _tune_gc()
        barrier.wait()
        started = time.monotonic()
        outcomes = await asyncio.gather(*(sup.arun(QUESTION) for _ in range(sessions)), return_exceptions=True)
        finished = time.monotonic()
        errors = [o for o in outcomes if _failed(o)]
        first = next((repr(o) if isinstance(o, BaseException) else o.errors[0] for o in errors), "")
        return {"started": started, "finished": finished, "errors": len(errors), "first_error": first,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    try:
        pipe.send(asyncio.run(main()))
    except BaseException as exc:  # report instead of hanging the parent
        barrier.abort()
        pipe.send({"crashed": f"{type(exc).__name__}: {exc}"})


def _concurrent(store: Path, sessions: int, latency_ms: float, workers: int, gc_tuned: bool,
                timeout_s: float) -> dict[str, Any]:
    """``sessions`` sessions at once over ``workers`` processes; wall time, errors and the workers' peak RSS."""
    context = multiprocessing.get_context("spawn")
    workers = max(1, min(workers, sessions))
    shares = [sessions // workers + (i < sessions % workers) for i in range(workers)]
    barrier = context.Barrier(workers)
    pipes, processes = [], []
    for share in shares:
        ours, theirs = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(theirs, str(store), share, latency_ms / 1000, barrier,
                                                         gc_tuned), daemon=True)
        process.start()
        pipes.append(ours)
        processes.append(process)
    reports = []
    try:
        for pipe, process in zip(pipes, processes, strict=True):
            if not pipe.poll(timeout_s):
                raise TimeoutError(f"a benchmark worker gave no report within {timeout_s} s")
            reports.append(pipe.recv())
            process.join(10)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
    crashed = [r["crashed"] for r in reports if "crashed" in r]
    if crashed:
        raise RuntimeError(f"a benchmark worker crashed: {crashed[0]}")
    return {"sessions": sessions, "agent_latency_ms": latency_ms,
            "wall_s": round(max(r["finished"] for r in reports) - min(r["started"] for r in reports), 3),
            "errors": sum(r["errors"] for r in reports), "workers": workers,
            "first_error": next((r["first_error"] for r in reports if r["first_error"]), ""),
            "peak_rss_mb": round(sum(r["peak_rss_mb"] for r in reports), 1)}


def bench_supervisor(out: str | Path, sessions: Sequence[int] = DEFAULT_SESSIONS, *,
                     latency_ms: float = AGENT_LATENCY_MS, runs: int = 300, workers: int | None = None,
                     gc_tuned: bool = True, timeout_s: float = 300.0, settings: Settings | None = None,
                     log: bool = True, echo: bool = True) -> SupervisorBenchSummary:
    """Measure overhead per run and concurrent sessions (see the module docstring); writes
    ``OUTDIR/summary.json`` and logs to MLflow. Returns the summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    workers = workers or os.cpu_count() or 1
    say = print if echo else (lambda *_a, **_k: None)
    store = out / "bench-sessions.db"
    for leftover in out.glob("bench-sessions.db*"):
        leftover.unlink()
    timings = asyncio.run(_overhead(store, runs, warmup=min(20, runs)))
    overhead_p50, overhead_p95 = round(percentile(timings, 0.5), 3), round(percentile(timings, 0.95), 3)
    say(f"overhead per run (zero-latency agents, {len(timings)} runs): p50 {overhead_p50:.2f} ms, "
        f"p95 {overhead_p95:.2f} ms")
    say(HEADER)
    worker_peak = 0.0
    concurrency = []
    for count in sessions:
        row = _concurrent(store, count, latency_ms, workers, gc_tuned, timeout_s)
        worker_peak = max(worker_peak, row.pop("peak_rss_mb"))
        concurrency.append(row)
        say(format_row(row))
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = SupervisorBenchSummary(
        overhead_ms_p50=overhead_p50, overhead_ms_p95=overhead_p95, overhead_runs=len(timings),
        peak_rss_mb=round(own + worker_peak, 1), concurrency=concurrency,
        workers=workers, cpu_count=os.cpu_count(), gc_tuned=gc_tuned,
        gc_threshold=list(GC_THRESHOLD if gc_tuned else gc.get_threshold()),
        python=sys.version.split()[0], agents_per_run=2, session_store="sqlite file")
    say(f"peak RSS: {summary.peak_rss_mb:.0f} MB (this process {own:.0f} MB + workers {worker_peak:.0f} MB)")
    summary.write(out / "summary.json")
    if log:
        _log(summary, out, settings or get_settings())
    return summary


HEADER = f"{'sessions':>9}{'agent ms':>10}{'workers':>9}{'wall s':>9}{'errors':>8}"


def format_row(row: dict[str, Any]) -> str:
    """One concurrency row as a line of the printed table."""
    return (f"{row['sessions']:>9,}{row['agent_latency_ms']:>10.0f}{row['workers']:>9}{row['wall_s']:>9.3f}"
            f"{row['errors']:>8}")


def _log(s: SupervisorBenchSummary, out: Path, settings: Settings) -> None:
    from workbench.tracking import log_run

    metrics = {"overhead_ms_p50": s.overhead_ms_p50, "overhead_ms_p95": s.overhead_ms_p95, "peak_rss_mb": s.peak_rss_mb}
    for row in s.concurrency:
        metrics.update({f"wall_s_{row['sessions']}": row["wall_s"], f"errors_{row['sessions']}": row["errors"]})
    log_run("supervisor-bench", run_name="scripted-agents", settings=settings,
            params={k: s[k] for k in ("workers", "cpu_count", "gc_tuned", "agents_per_run", "overhead_runs")},
            metrics=metrics, artifacts=[out / "summary.json"])
