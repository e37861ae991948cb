"""The eval harness on a Spider-format folder, with recorded model answers: files, scores, MLflow run."""

from __future__ import annotations

import json
import shutil

from common import SPIDER, chat_answer, recorded_lm

from workbench.evaluation.text2sql_eval import evaluate_text2sql


def _folder(tmp_path):
    db_dir = tmp_path / "db" / "concert_singer"
    db_dir.mkdir(parents=True)
    shutil.copy(SPIDER / "database" / "concert_singer" / "concert_singer.sqlite", db_dir)
    items = json.loads((SPIDER / "questions.json").read_text())[:3]
    (tmp_path / "q.json").write_text(json.dumps(items))
    return tmp_path / "q.json", tmp_path / "db", items


def test_writes_predictions_results_and_summary_and_logs_one_run(tmp_path, settings):
    questions, db_dir, items = _folder(tmp_path)
    lm, _ = recorded_lm([
        chat_answer(sql="SELECT count(*) FROM singer"),            # right
        chat_answer(sql="SELECT COUNT(Singer_ID) FROM singer"),    # right, different SQL
        chat_answer(sql="SELECT Name, Country, Age FROM singer"),  # wrong: gold is ordered by age
    ])
    summary = evaluate_text2sql(questions, db_dir, tmp_path / "out", lm=lm, settings=settings, progress=False)

    assert summary["n"] == 3 and summary["ex"] == round(2 / 3, 4)
    assert summary["ex_by_hardness"] == {"easy": 1.0, "medium": 0.0}
    assert summary["errors_by_kind"] == {"wrong_result": 1}
    assert {"seconds_p50", "seconds_p95", "tokens", "ex_duckdb"} <= set(summary)
    assert summary["ex_duckdb"] == summary["ex"]
    lines = (tmp_path / "out" / "pred.txt").read_text().splitlines()
    assert lines == ["SELECT count(*) FROM singer", "SELECT COUNT(Singer_ID) FROM singer",
                     "SELECT Name, Country, Age FROM singer"]
    results = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["question"] for r in results] == [i["question"] for i in items]
    assert [r["correct"] for r in results] == [True, True, False]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["ex"] == summary["ex"]

    import mlflow

    mlflow.set_tracking_uri(settings.tracking_uri)
    runs = mlflow.search_runs(experiment_names=["text2sql-eval"])
    assert len(runs) == 1 and runs["metrics.ex"].iloc[0] == summary["ex"]


def test_a_broken_gold_query_is_reported_not_scored_against_the_model(tmp_path, settings):
    questions, db_dir, items = _folder(tmp_path)
    items[0]["query"] = "SELECT nothing FROM nowhere"
    questions.write_text(json.dumps(items[:1]))
    lm, _ = recorded_lm(chat_answer(sql="SELECT count(*) FROM singer"))
    summary = evaluate_text2sql(questions, db_dir, tmp_path / "out", lm=lm, settings=settings, log=False,
                                duckdb=False, progress=False)
    assert summary["errors_by_kind"] == {"gold_error": 1}


def test_a_deadline_stops_between_questions_and_scores_what_finished(tmp_path, settings):
    import time

    questions, db_dir, _ = _folder(tmp_path)
    lm, llama = recorded_lm([chat_answer(sql="SELECT count(*) FROM singer")])
    summary = evaluate_text2sql(questions, db_dir, tmp_path / "out", lm=lm, settings=settings, progress=False,
                                deadline=time.monotonic(), log=False, duckdb=False)
    assert summary["stopped_early"] and summary["n"] == 0 and not llama.calls
    assert (tmp_path / "out" / "summary.json").is_file()


def test_the_summary_is_the_same_dict_and_shows_itself_with_a_chart_by_hardness(tmp_path, settings):
    questions, db_dir, _ = _folder(tmp_path)
    lm, _ = recorded_lm([chat_answer(sql="SELECT count(*) FROM singer")])
    summary = evaluate_text2sql(questions, db_dir, tmp_path / "out", lm=lm, settings=settings, progress=False,
                                log=False, duckdb=False)
    assert summary == json.loads((tmp_path / "out" / "summary.json").read_text())
    page = summary._repr_html_()
    assert "text2sql EX" in page and "<th style='text-align:left'>ex</th>" in page
    assert "ex by hardness" in page  # the per-hardness bar chart
