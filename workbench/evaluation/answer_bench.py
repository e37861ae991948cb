"""``workbench bench answer``: how long a full supervisor answer takes with the real model, and where the time goes.

The supervisor is the demo's (``workbench.demo.demo_supervisor``: SQL over the
demo database, retrieval over SciFact) on a local LM with DSPy's response
cache off, so every LM call is computed. The process is warmed first: the
model, the index and the prompt prefixes every question shares (instructions,
schema) are loaded by answering a warm-up question that is not among the
benchmark's, as they would be in a notebook that has already asked something.
Then each question is asked ``repeat`` times, round after round, streaming:

* ``first_event_ms``: from the call to the first streamed event;
* ``first_token_s``: to the first streamed word of the written answer (when
  the answer is not written by the LM, the end of the answer node);
* ``total_s``: to the result;
* ``stages``: seconds per node (plan, select, execute, evaluate, answer, and
  each agent as ``agent:<name>``), summed over iterations;
* LM calls, prompt tokens, prompt tokens served from the prefix cache, and
  completion tokens, in all and per stage.

Later rounds reuse prompt prefixes the first round left in the model's cache
(the whole question's, not only the shared ones), so the summary also gives
the first round's medians (``*_first_round``). Results go to
``OUT/results.jsonl`` and ``OUT/summary.json`` and to MLflow (``answer-bench``).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary, figure

WARMUP_QUESTION = ("Which three countries had the lowest GDP per capita in 1952, and what do studies say about "
                   "malnutrition in children?")


@dataclass(frozen=True, kw_only=True, eq=False)
class AnswerBenchSummary(Summary):
    """What ``bench_answer`` measured (``summary.json``); see the module docstring."""

    HEADLINE = ("n", "first_event_ms_p50", "first_token_s_p50", "total_s_p50", "total_s_p95",
                "total_s_p50_first_round", "lm_calls_mean", "prompt_tokens_mean", "cached_prompt_tokens_mean",
                "lm", "cpu_count")

    first_event_ms_p50: float
    first_token_s_p50: float
    total_s_p50: float
    total_s_p95: float
    stages: dict[str, float]
    lm_calls_mean: float
    prompt_tokens_mean: float
    cached_prompt_tokens_mean: float
    completion_tokens_mean: float
    cpu_count: int | None
    n: int
    repeat: int
    first_event_ms_p50_first_round: float
    first_token_s_p50_first_round: float
    total_s_p50_first_round: float
    stage_lm: dict[str, dict[str, float]]
    lm: str
    options: dict[str, Any] | None = figure(optional=True)  # noqa: RUF009 (a field whose default is None)

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"supervisor answer speed: {self.n} runs, {self.lm}"


def demo_questions() -> list[str]:
    """The questions of ``make demo``: one for SQL, one for retrieval, one for both."""
    from workbench.demo import SUPERVISOR_QUESTIONS

    return [question for _, question in SUPERVISOR_QUESTIONS]


def read_questions(source: str) -> list[str]:
    """``demo``, or a file: a JSON list of strings or of objects with ``question``, or one question per line."""
    if source == "demo":
        return demo_questions()
    path = Path(source)
    if not path.is_file():
        raise InputError(f"No questions file {source}: pass 'demo' or a JSON list / a text file of questions")
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [line.strip() for line in text.splitlines() if line.strip()]
    questions = [q if isinstance(q, str) else q.get("question", "") if isinstance(q, dict) else "" for q in data]
    if not questions or not all(questions):
        raise InputError(f"{source}: expected questions (strings, or objects with a 'question'), found none usable")
    return questions


async def measure(supervisor: Any, question: str) -> dict[str, Any]:
    """Ask ``supervisor`` one question, streaming, and time it (see the module docstring for the figures).

    Agents that remember answers between calls (``forget()``) forget them first: only evaluated prompt prefixes
    carry over from earlier questions, no answers."""
    for agent in supervisor.registry:
        forget = getattr(agent, "forget", None)
        if callable(forget):
            forget()
    started = time.perf_counter()
    first_event = first_token = None
    answer_end = None
    stages: dict[str, float] = defaultdict(float)
    stage_lm: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    result = None
    async for event in supervisor.astream(question):
        now = time.perf_counter() - started
        if first_event is None:
            first_event = now
        if event.kind == "lm_token" and event.data.get("node") == "answer" and first_token is None:
            first_token = now
        elif event.kind == "node_end":
            stages[event.name] += (event.elapsed_ms or 0.0) / 1000
            if event.name == "answer":
                answer_end = now
        elif event.kind == "agent_end":
            stages[f"agent:{event.name}"] += (event.elapsed_ms or 0.0) / 1000
        elif event.kind == "lm_call":
            lm = stage_lm[str(event.data.get("node", "?"))]
            lm["calls"] += 1
            lm["prompt_tokens"] += int(event.data.get("prompt_tokens") or 0)
            lm["cached_tokens"] += int(event.data.get("cached_tokens") or 0)
            lm["completion_tokens"] += int(event.data.get("completion_tokens") or 0)
        elif event.kind == "run_end":
            result = event.data["result"]
    total = time.perf_counter() - started
    assert result is not None
    lm_totals = {k: sum(s[k] for s in stage_lm.values())
                 for k in ("calls", "prompt_tokens", "cached_tokens", "completion_tokens")}
    return {"question": question, "answer": result.answer, "score": result.score, "iterations": result.iterations,
            "agents": sorted({r["agent"] for r in result.records.values()}), "errors": result.errors,
            "first_event_ms": round((first_event or total) * 1000, 2),
            "first_token_s": round(first_token if first_token is not None else (answer_end or total), 3),
            "answer_streamed": first_token is not None, "total_s": round(total, 3),
            "stages": {k: round(v, 3) for k, v in stages.items()},
            "stage_lm": {k: dict(v) for k, v in stage_lm.items()},
            "lm_calls": lm_totals["calls"], "prompt_tokens": lm_totals["prompt_tokens"],
            "cached_prompt_tokens": lm_totals["cached_tokens"], "completion_tokens": lm_totals["completion_tokens"]}


def summarise(rows: Sequence[dict[str, Any]], *, repeat: int, lm: str,
              options: dict[str, Any] | None = None) -> AnswerBenchSummary:
    """The summary of ``measure`` rows (each with its ``round``)."""
    def p50(key: str, subset: Sequence[dict[str, Any]] = rows) -> float:
        return round(percentile([r[key] for r in subset], 0.5), 3)

    def mean(key: str) -> float:
        return round(sum(r[key] for r in rows) / len(rows), 1) if rows else 0.0

    first = [r for r in rows if r["round"] == 0]
    stage_names = sorted({name for r in rows for name in r["stages"]})
    stages = {name: round(percentile([r["stages"].get(name, 0.0) for r in rows], 0.5), 3) for name in stage_names}
    lm_stages = sorted({name for r in rows for name in r["stage_lm"]})
    stage_lm = {name: {k: round(sum(r["stage_lm"].get(name, {}).get(k, 0) for r in rows) / len(rows), 1)
                       for k in ("calls", "prompt_tokens", "cached_tokens", "completion_tokens")}
                for name in lm_stages}
    return AnswerBenchSummary(
        first_event_ms_p50=p50("first_event_ms"), first_token_s_p50=p50("first_token_s"),
        total_s_p50=p50("total_s"), total_s_p95=round(percentile([r["total_s"] for r in rows], 0.95), 3),
        stages=stages, lm_calls_mean=mean("lm_calls"), prompt_tokens_mean=mean("prompt_tokens"),
        cached_prompt_tokens_mean=mean("cached_prompt_tokens"), completion_tokens_mean=mean("completion_tokens"),
        cpu_count=os.cpu_count(), n=len(rows), repeat=repeat,
        first_event_ms_p50_first_round=p50("first_event_ms", first),
        first_token_s_p50_first_round=p50("first_token_s", first), total_s_p50_first_round=p50("total_s", first),
        stage_lm=stage_lm, lm=lm, options=options or None)


def bench_answer(questions: Sequence[str], out: str | Path, *, lm: str | None = None, repeat: int = 1,
                 warmup: bool = True, supervisor: Any = None, settings: Settings | None = None, log: bool = True,
                 echo: bool = True, options: dict[str, Any] | None = None) -> AnswerBenchSummary:
    """Time the supervisor on ``questions`` (see the module docstring); writes ``OUT/results.jsonl`` and
    ``OUT/summary.json``, logs to MLflow, and returns the summary.

    ``supervisor`` defaults to the demo's on ``lm`` with DSPy's response cache off; ``options`` are recorded
    with the summary (which speed switches were on).
    """
    if repeat < 1:
        raise InputError(f"--repeat must be at least 1, got {repeat}")
    if not questions:
        raise InputError("no questions to time")
    settings = settings or get_settings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = print if echo else (lambda *_a, **_k: None)
    name = lm or settings.lm
    if supervisor is None:
        from workbench.demo import demo_supervisor

        supervisor = demo_supervisor(lm=name, settings=settings, progress=echo, cache=False)
    if warmup:
        started = time.perf_counter()
        asyncio.run(measure(supervisor, WARMUP_QUESTION))
        say(f"warm-up question answered in {time.perf_counter() - started:.1f} s (not counted)")
    rows = []
    with (out / "results.jsonl").open("w", encoding="utf-8") as sink:
        for round_ in range(repeat):
            for question in questions:
                row = {"round": round_, **asyncio.run(measure(supervisor, question))}
                rows.append(row)
                sink.write(json.dumps(row, default=str) + "\n")
                sink.flush()
                say(f"[{round_ + 1}/{repeat}] {row['total_s']:6.1f} s  first token {row['first_token_s']:5.1f} s  "
                    f"LM calls {row['lm_calls']}  prompt {row['prompt_tokens']} ({row['cached_prompt_tokens']} "
                    f"cached)  {question[:60]}")
    summary = summarise(rows, repeat=repeat, lm=name, options=options)
    summary.write(out / "summary.json")
    say(f"total p50 {summary.total_s_p50:.1f} s (p95 {summary.total_s_p95:.1f}), first event p50 "
        f"{summary.first_event_ms_p50:.0f} ms, first answer token p50 {summary.first_token_s_p50:.1f} s; "
        f"stages p50: " + ", ".join(f"{k} {v:.1f}" for k, v in summary.stages.items()))
    if log:
        from workbench.tracking import log_run

        metrics = {k: float(summary[k]) for k in ("first_event_ms_p50", "first_token_s_p50", "total_s_p50",
                                                   "total_s_p95", "total_s_p50_first_round", "lm_calls_mean",
                                                   "prompt_tokens_mean", "cached_prompt_tokens_mean")}
        metrics.update({f"stage_s_{k.replace(':', '_')}": v for k, v in summary.stages.items()})
        log_run("answer-bench", run_name=name, settings=settings,
                params={"lm": name, "n": summary.n, "repeat": repeat, "cpu_count": summary.cpu_count,
                        **{f"option_{k}": v for k, v in (options or {}).items()}},
                metrics=metrics, artifacts=[out / "summary.json", out / "results.jsonl"])
    return summary
