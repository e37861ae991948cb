"""The main job (``make demo``): the supervisor answers demo questions that need SQL, retrieval, or both.

The workers are the real ones: a ``DataAnalysisAgent`` over ``data/demo.duckdb``
(Gapminder, restaurant tips, stocks, iris) and an
``InformationRetrievalAgent`` over the SciFact abstracts in ``data/scifact``
(its hybrid index is built once, about 6 minutes on two cores, then cached).
The router plans without the LM when the question says what it needs (the LM
planner otherwise); SQL results are written out from their rows and the
configured LM writes only about the sources; the grounded evaluator scores
each answer from checks and one LM forward pass, and the answer is checked
against its evidence. Each question is
streamed (one line per step as it happens), and the run is logged to MLflow:
answers, scores, timings, LM calls and tokens, every result as JSON and every
trace.
"""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.config import Settings, get_settings
from workbench.errors import MissingInputError

if TYPE_CHECKING:
    from workbench.supervisor.result import RunResult
    from workbench.supervisor.supervisor import Supervisor
    from workbench.tracing import TraceEvent

DATA = Path(__file__).resolve().parent.parent / "data"
DEMO_DB = DATA / "demo.duckdb"
DEMO_CORPUS = DATA / "scifact"

# How much retrieved text the answer writer reads: the best source or two. Every prompt token costs ~13 ms with the
# 1.5B model on two cores, and the writer reads all of it (README, "Fast answers").
CONTEXT_TOKENS = 300
DB_ABOUT = "Gapminder country statistics by year, restaurant tips, weekly stock prices, iris flowers"
CORPUS_ABOUT = "SciFact, abstracts of biomedical and clinical research papers"

# SQL questions on the demo database (also what `workbench bench lm` times).
DEMO_QUESTIONS = (
    "Which five countries had the highest life expectancy in 2007?",
    "What is the average tip for each day of the week?",
    "How many countries are there in each continent?",
)

# What `make demo` asks the supervisor: one question per kind of work.
SUPERVISOR_QUESTIONS = (
    ("sql", "What is the average tip for each day of the week?"),
    ("retrieval", "Does exercise reduce cancer mortality among Chinese citizens?"),
    ("both", "Which five countries had the highest life expectancy in 2007, and what do studies say about "
             "healthy life expectancy?"),
)


def demo_supervisor(*, lm: Any = None, db: str | Path | None = None, corpus: str | Path | None = None,
                    settings: Settings | None = None, progress: bool = True, cache: bool = True,
                    planner: str = "auto", answer: str = "rows", context_tokens: int = CONTEXT_TOKENS,
                    candidates: int | None = None) -> Supervisor:
    """The demo's ``Supervisor``: SQL over the demo database and retrieval over SciFact, on ``lm``.

    ``cache=False`` turns DSPy's response cache off for every LM call (benchmarks time computed answers);
    ``planner`` and ``answer`` are the ``Supervisor``'s; ``context_tokens`` is how much of the sources the
    retrieval agent hands on (the answer writer reads all of it); ``candidates`` the SQL queries the data agent
    writes per question (default: the agent's).
    """
    from workbench.agents.base import Agent
    from workbench.agents.data_analysis import DataAnalysisAgent
    from workbench.agents.retrieval import InformationRetrievalAgent
    from workbench.lm import resolve_lm
    from workbench.retrieval.cache import cached_index
    from workbench.retrieval.corpus import Corpus
    from workbench.supervisor.supervisor import Supervisor

    settings = settings or get_settings()
    db_path = Path(db) if db else DEMO_DB
    if not db_path.is_file():
        raise MissingInputError(f"Demo database {db_path} is missing. Build it: python scripts/build_demo_db.py")
    corpus_path = Path(corpus) if corpus else DEMO_CORPUS
    if not (corpus_path / "corpus.jsonl").is_file() and not corpus_path.is_file():
        raise MissingInputError(f"No BEIR corpus at {corpus_path}: pass a folder with corpus.jsonl")
    model = resolve_lm(lm, settings=settings, cache=cache)
    index, _ = cached_index(Corpus.from_beir(corpus_path), settings=settings, progress=progress)
    from workbench.agents.data_analysis import DEFAULT_OPTIONS

    options = DEFAULT_OPTIONS if candidates is None else dataclasses.replace(DEFAULT_OPTIONS, candidates=candidates)
    agents: list[Agent] = [DataAnalysisAgent(db_path, lm=model, about=DB_ABOUT if db is None else "", options=options),
              InformationRetrievalAgent(index, about=CORPUS_ABOUT if corpus is None else "",
                                        token_budget=context_tokens)]
    # a named model gets its own slot for the supervisor (planner, writer), so they keep their prompt caches apart
    own: Any = model  # an LM object is shared as given
    if isinstance(lm, str | None):  # a name: the Supervisor loads it on its own slot, with the cache as asked
        own = lm if cache else resolve_lm(lm, settings=settings, cache=False, slot="supervisor")
    return Supervisor(agents, lm=own, settings=settings, planner=planner, answer=answer)


def run_demo(*, lm: str | None = None, db: str | Path | None = None, corpus: str | Path | None = None,
             questions: tuple[tuple[str, str], ...] = SUPERVISOR_QUESTIONS, settings: Settings | None = None,
             log: bool = True, echo: bool = True) -> list[RunResult]:
    """Ask the supervisor each ``(kind, question)``, printing its steps as they happen; log the run to MLflow."""
    import asyncio

    settings = settings or get_settings()
    supervisor = demo_supervisor(lm=lm, db=db, corpus=corpus, settings=settings, progress=echo)

    async def ask(question: str) -> RunResult:
        result = None
        async for event in supervisor.astream(question):
            if echo:
                line = describe(event)
                if line:
                    print(line, flush=True)
            if event.kind == "run_end":
                result = event.data["result"]
        assert result is not None
        return result

    results = []
    for kind, question in questions:
        if echo:
            print(f"\n=== [{kind}] {question}", flush=True)
        result = asyncio.run(ask(question))
        results.append(result)
        if echo:
            print(f"\n{result.answer}\n(score {_score(result)}, {result.iterations} iteration(s), "
                  f"{result.elapsed_s:.1f} s, session {result.session_id})", flush=True)
    if log:
        _log(results, [kind for kind, _ in questions], lm or settings.lm, settings)
    return results


def describe(event: TraceEvent) -> str:
    """A one-line account of a trace event worth showing while a run streams ('' for the rest)."""
    d = event.data
    took = f" ({event.elapsed_ms / 1000:.1f} s)" if event.elapsed_ms is not None else ""
    if event.kind == "decision" and event.name == "plan":
        steps = " then ".join(" + ".join(c["agent"] for c in step) for step in d["steps"])
        note = f"; {d['note']}" if d.get("note") else ""
        return f"  plan ({d['source']}): {steps}{note}"
    if event.kind == "decision" and event.name == "evaluate":
        failed = "; ".join(f"{a}: {', '.join(n)}" for a, n in (d.get("failed_checks") or {}).items() if n)
        return (f"  evaluator ({d.get('source', '')}): probability right {d['score']:.2f} (threshold "
                f"{d['threshold']}); failed checks: {failed or 'none'}; {str(d['feedback'])[:160]}")
    if event.kind == "decision" and event.name == "iterate":
        return f"  iterating: probability {d['score']:.2f} is below {d['threshold']}"
    if event.kind == "decision" and event.name == "faithfulness" and "faithful" in d:
        problems = ", ".join([*d.get("unsupported", []), *(f"missing {m}" for m in d.get("missing", []))])
        verdict = "faithful" if d.get("faithful") and d.get("complete") else f"not faithful ({problems})"
        return f"  answer check: {verdict}, {d.get('how')}"
    if event.kind == "decision" and event.name == "faithfulness":
        problems = ", ".join([*d.get("unsupported", []), *(f"missing {m}" for m in d.get("missing", []))])
        return f"  answer check: the draft fails ({problems}); rewriting once"
    if event.kind == "agent_end":
        return f"  {event.name} finished{took}" if d.get("ok") else f"  {event.name} failed{took}"
    if event.kind == "sql":
        return f"    SQL: {' '.join(str(d['sql']).split())[:160]} -> {d['rows']} rows"
    if event.kind == "retrieval":
        return f"    retrieval: {d['hits']} sources, confidence {d['confidence']:.2f}"
    if event.kind == "lm_call":
        cut = ", cut off at the token limit" if d.get("truncated") else ""
        return (f"    LM call in {d.get('node', '?')}: {d.get('prompt_tokens', 0)} + "
                f"{d.get('completion_tokens', 0)} tokens{took}{cut}")
    if event.kind == "cache_hit":
        return f"    LM answer in {d.get('node', '?')} from DSPy's cache{took}"
    if event.kind == "error":
        return f"  ! {event.name}: {d.get('error', '')}"
    return ""


def _score(result: RunResult) -> str:
    return "-" if result.score is None else f"{result.score:.2f}"


def _log(results: list[RunResult], kinds: list[str], lm_name: str, settings: Settings) -> None:
    from workbench.programs.judge import VERSION as JUDGE_VERSION
    from workbench.tracking import log_run

    lm_calls = [e for r in results for e in r.trace.of_kind("lm_call")]
    scores = [r.score for r in results if r.score is not None]
    run_id = log_run(
        "workbench-demo", run_name=f"supervisor-{lm_name}", settings=settings,
        params={"lm": lm_name, "judge": "grounded", "lm_judge": JUDGE_VERSION, "n_questions": len(results),
                "threshold": settings.supervisor_threshold, "max_iterations": settings.supervisor_max_iterations},
        metrics={
            "answered": sum(r.ok for r in results),
            "score_mean": statistics.fmean(scores) if scores else 0.0,
            "seconds_median": statistics.median(r.elapsed_s for r in results) if results else 0.0,
            "seconds_total": sum(r.elapsed_s for r in results),
            "iterations_mean": statistics.fmean(r.iterations for r in results) if results else 0.0,
            "lm_calls": len(lm_calls),
            "prompt_tokens": sum(int(e.data.get("prompt_tokens", 0)) for e in lm_calls),
            "completion_tokens": sum(int(e.data.get("completion_tokens", 0)) for e in lm_calls),
            "errors": sum(len(r.errors) for r in results),
        },
        records={"results.jsonl": [{"kind": k, **r.to_dict()} for k, r in zip(kinds, results, strict=True)]},
        texts={f"traces/{r.session_id}.json": r.trace.to_json() for r in results})
    print(f"Logged MLflow run {run_id} to {settings.tracking_uri} (experiment workbench-demo)")
