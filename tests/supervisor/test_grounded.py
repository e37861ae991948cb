"""The grounded evaluator and iteration that keeps the best: scores from checks, retries aimed at what failed."""

from __future__ import annotations

from typing import Any

import pandas as pd

from workbench.agents.base import Retry
from workbench.agents.data_analysis import DataAnalysisResult
from workbench.sql.checks import RULE_SIGNALS, SIGNALS, Check
from workbench.supervisor.calibration import LogisticModel
from workbench.supervisor.grounded import GroundedEvaluator, default_model
from workbench.supervisor.supervisor import Supervisor

MODEL = LogisticModel(list(RULE_SIGNALS), [1.0, 4.0, 4.0, 4.0, 0.5, 0.5, 0.5], -11.0)  # all pass: 0.97, one fails: 0.38


def checks(**failed: str) -> list[Check]:
    """Every signal passing, except the named ones (with their notes)."""
    return [Check(n, 0.0, False, failed[n]) if n in failed else Check(n, 1.0, True) for n in RULE_SIGNALS]


def table(sql: str, frame: pd.DataFrame, found: list[Check]) -> DataAnalysisResult:
    return DataAnalysisResult("q", sql, frame, "", "table", None, [], {}, {}, "key", checks=found)


def record(agent: str, payload: dict[str, Any], ok: bool = True, error: str = "") -> dict[str, Any]:
    return {"agent": agent, "task": "q", "iteration": 0, "step": 0, "ok": ok, "error": error, "payload": payload}


def as_payload(found: list[Check]) -> dict[str, Any]:
    return {"type": "table", "checks": [{"name": c.name, "value": c.value, "passed": c.passed, "note": c.note}
                                        for c in found]}


def test_passing_checks_score_high_and_failed_ones_low_with_feedback_naming_them():
    evaluator = GroundedEvaluator(MODEL)
    good = evaluator("q", [record("data_analysis", as_payload(checks()))])
    bad = evaluator("q", [record("data_analysis", as_payload(checks(rows="the query returned no rows")))])
    assert good.score > 0.9 > 0.5 > bad.score and good.source == "grounded"
    assert good.feedback == "good" and "returned no rows" in bad.feedback
    assert [c["name"] for c in bad.checks["data_analysis"] if not c["passed"]] == ["rows"]


def test_failed_agents_score_zero_sources_use_their_confidence_and_the_rest_is_unchecked():
    evaluator = GroundedEvaluator(MODEL)
    judged = evaluator("q", [record("data_analysis", {}, ok=False, error="timeout"),
                             record("retrieval", {"type": "sources", "confidence": 0.3}),
                             record("glossary", {"type": "definition"})])
    assert judged.agent_scores == {"data_analysis": 0.0, "retrieval": 0.3, "glossary": 0.7}
    assert judged.score == 0.0 and "timeout" in judged.feedback and "weakly" in judged.feedback


def test_the_shipped_model_prefers_an_answer_whose_candidates_agree():
    model = default_model()
    agree = {name: 1.0 for name in SIGNALS}
    assert model.predict(agree) > model.predict({**agree, "agreement": 0.0})
    assert model.predict(agree) > model.predict({**agree, "rows": 0.0, "shape": 0.0})


class Scripted:
    """A data agent whose first answer and retry are given; it records what it was asked."""

    name = "data_analysis"
    description = "SQL"

    def __init__(self, first: DataAnalysisResult, second: DataAnalysisResult) -> None:
        self.first, self.second = first, second
        self.retries: list[Retry] = []

    async def execute(self, task: Any) -> DataAnalysisResult:
        return self.first

    async def retry(self, retry: Retry) -> DataAnalysisResult:
        self.retries.append(retry)
        return self.second

    def health(self) -> dict[str, Any]:
        return {"ok": True}


RIGHT = pd.DataFrame({"name": ["Joe", "Ann"], "age": [52, 43]})


def run(agent: Scripted) -> Any:
    sup = Supervisor([agent], planner="router", judge=GroundedEvaluator(MODEL),
                     writer=lambda q, e: "Joe (52) and Ann (43).", sessions=":memory:", threshold=0.6,
                     max_iterations=2)
    return sup.run("List the singers and their ages")


def test_a_low_score_retries_with_the_failed_checks_and_the_better_answer_wins():
    empty = table("SELECT name FROM singer WHERE 0", RIGHT.head(0), checks(rows="the query returned no rows"))
    agent = Scripted(empty, table("SELECT name, age FROM singer", RIGHT, checks()))
    result = run(agent)
    assert result.iterations == 2 and len(agent.retries) == 1
    assert agent.retries[0].failed == ("rows",) and "no rows" in agent.retries[0].feedback
    assert result.records[result.answer_keys[0]]["payload"]["sql"] == "SELECT name, age FROM singer"
    assert result.score > 0.9 and result.failed_checks == {result.answer_keys[0]: []}
    assert result.faithfulness["how"] == "draft" and result.faithfulness["faithful"]


def test_a_retry_that_scores_worse_never_replaces_the_better_answer():
    shaky = table("SELECT name, age FROM singer", RIGHT, checks(agreement="1 of 1 sampled queries differ"))
    agent = Scripted(shaky, table("SELECT 1", RIGHT.head(0), checks(rows="no rows", shape="wrong shape")))
    result = run(agent)
    assert result.iterations == 2
    chosen = result.records[result.answer_keys[0]]
    assert chosen["iteration"] == 0 and chosen["payload"]["sql"] == "SELECT name, age FROM singer"
    assert result.failed_checks == {result.answer_keys[0]: ["agreement"]}
    page = result._repr_html_()
    assert "Other attempts" in page and "probability right" in page and "agreement" in page


def test_an_unfaithful_draft_is_replaced_by_an_answer_written_from_the_rows():
    agent = Scripted(table("SELECT name, age FROM singer", RIGHT, checks()), table("", None, checks()))
    sup = Supervisor([agent], planner="router", judge=GroundedEvaluator(MODEL),
                     writer=lambda q, e: "Joe is 61.", sessions=":memory:")
    result = sup.run("List the singers and their ages")
    assert result.faithfulness["how"] == "template" and result.faithfulness["faithful"]
    assert result.answer == "Joe (52), Ann (43)."
    events = [e.data for e in result.trace.of_kind("decision") if e.name == "faithfulness"]
    assert events[0]["how"] == "rewrite" and "61" in events[0]["unsupported"]


def test_in_rows_mode_sql_rows_are_written_out_without_asking_the_writer():
    agent = Scripted(table("SELECT name, age FROM singer", RIGHT, checks()), table("", None, checks()))
    asked: list[str] = []
    sup = Supervisor([agent], planner="router", judge=GroundedEvaluator(MODEL), answer="rows",
                     writer=lambda q, e: asked.append(e) or "unused", sessions=":memory:")
    result = sup.run("List the singers and their ages")
    assert result.answer == "Joe (52), Ann (43)." and not asked
    assert result.faithfulness["how"] == "rows" and result.faithfulness["faithful"]


def test_in_rows_mode_a_sentence_cut_off_at_the_token_limit_is_dropped():
    from workbench.agents.base import agent

    @agent(name="retrieval", description="Searches abstracts.")
    def sources(task: str) -> str:
        return "[1] Exercise lowers mortality in older adults."

    sup = Supervisor([sources], planner="router", judge=GroundedEvaluator(MODEL), answer="rows",
                     writer=lambda q, e: "Exercise lowers mortality in older adults [1]. In the cohort of 3 st",
                     sessions=":memory:")
    result = sup.run("Does exercise lower mortality?")
    assert result.answer == "Exercise lowers mortality in older adults [1]."
    assert result.faithfulness["how"] == "draft"
