"""The main job (``make demo``): ask built-in questions about the demo database and log the run.

Later issues replace the inside with the full supervisor; the command stays.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from workbench.answer import Answer, ask
from workbench.config import Settings, get_settings
from workbench.sql.database import Database

DEMO_QUESTIONS = (
    "Which five countries had the highest life expectancy in 2007?",
    "What is the average tip for each day of the week?",
    "How many countries are there in each continent?",
)

DEMO_DB = Path(__file__).resolve().parent.parent / "data" / "demo.duckdb"


def run_demo(*, lm: str | None = None, db: str | Path | None = None, questions: tuple[str, ...] = DEMO_QUESTIONS,
             settings: Settings | None = None, log: bool = True, echo: bool = True) -> list[Answer]:
    """Answer ``questions`` on the demo database with the configured LM; log params, metrics and answers to MLflow."""
    from workbench.lm import load_lm

    settings = settings or get_settings()
    lm_name = lm or settings.lm
    db_path = Path(db) if db else DEMO_DB
    if not db_path.is_file():
        raise FileNotFoundError(f"Demo database {db_path} is missing. Build it: python scripts/build_demo_db.py")
    database = Database.open(db_path)
    model = load_lm(lm_name, settings=settings)
    answers = []
    for question in questions:
        answer = ask(question, database, lm=model)
        answers.append(answer)
        if echo:
            print(answer, end="\n\n", flush=True)
    if log:
        _log(answers, lm_name, database, settings)
    return answers


def _log(answers: list[Answer], lm_name: str, database: Database, settings: Settings) -> None:
    import mlflow

    from workbench.experiments import log_records, start_run
    from workbench.programs.text2sql import VERSION

    seconds = [a.seconds for a in answers]
    with start_run("workbench-demo", run_name=f"demo-{lm_name}", settings=settings) as run:
        mlflow.log_params({"lm": lm_name, "program": VERSION, "db": str(database.path),
                           "n_questions": len(answers), "temperature": settings.lm_temperature})
        mlflow.log_metrics({
            "answered": sum(a.ok for a in answers),
            "answered_rate": sum(a.ok for a in answers) / max(len(answers), 1),
            "cached": sum(a.cached for a in answers),
            "seconds_median": statistics.median(seconds) if seconds else 0.0,
            "seconds_total": sum(seconds),
            "prompt_tokens": sum(a.tokens.get("prompt_tokens", 0) for a in answers),
            "completion_tokens": sum(a.tokens.get("completion_tokens", 0) for a in answers),
        })
        log_records([a.to_record() for a in answers], "predictions.jsonl")
    print(f"Logged MLflow run {run.info.run_id} to {settings.tracking_uri} (experiment workbench-demo)")
