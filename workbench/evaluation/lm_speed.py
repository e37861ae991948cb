"""Benchmark: seconds per question of ``ask`` for each LM on a database (DSPy cache off)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from workbench.config import Settings, get_settings
from workbench.evaluation.stats import percentile


@dataclass(frozen=True)
class SpeedResult:
    """Timings of one LM: median and p95 seconds per question, and how many SQL queries ran."""

    lm: str
    n: int
    seconds_median: float
    seconds_p95: float
    answered: int
    completion_tokens_median: float


def bench_lm_speed(lms: list[str], db: str | Path, questions: tuple[str, ...], *, repeat: int = 1,
                   settings: Settings | None = None, log: bool = True) -> list[SpeedResult]:
    """Time ``questions`` x ``repeat`` for each LM after one warm-up question; log each LM as an MLflow run."""
    from tqdm.auto import tqdm

    from workbench.agents.data_analysis import ask
    from workbench.lm import load_lm
    from workbench.sql.database import Database

    settings = settings or get_settings()
    database = Database.open(db)
    results = []
    for name in lms:
        model = load_lm(name, settings=settings, cache=False)
        ask(questions[0], database, lm=model)  # warm-up: model load and first prompt
        answers = [ask(q, database, lm=model) for q in tqdm(questions * repeat, desc=f"bench {name}")]
        seconds = [a.seconds for a in answers]
        result = SpeedResult(
            lm=name, n=len(answers), seconds_median=percentile(seconds, 0.5), seconds_p95=percentile(seconds, 0.95),
            answered=sum(a.ok for a in answers),
            completion_tokens_median=statistics.median(a.tokens.get("completion_tokens", 0) for a in answers),
        )
        results.append(result)
        if log:
            from workbench.tracking import log_run

            log_run("workbench-bench", run_name=f"lm-speed-{name}", settings=settings,
                    params={"bench": "lm_speed", "lm": name, "db": str(db), "repeat": repeat,
                            "threads": settings.threads},
                    metrics={"seconds_median": result.seconds_median, "seconds_p95": result.seconds_p95,
                             "answered": result.answered, "n": result.n})
    return results
