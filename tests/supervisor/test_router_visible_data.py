"""The no-LM router on visible public data: where it sends Spider questions and SciFact claims, and when it is
sure (the ``auto`` planner asks the LM only when it is not). Prints the figures the README quotes."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from workbench.agents.base import AgentRegistry, agent
from workbench.agents.data_analysis import DataAnalysisAgent
from workbench.supervisor.planning import AutoPlanner, Plan, route, signals

DATA = Path(__file__).resolve().parents[2] / "data"


@agent(name="retrieval", description="Searches the abstracts.")
async def _retrieval(task: str) -> str:
    return task


def _registry(db: Path) -> AgentRegistry:
    return AgentRegistry([DataAnalysisAgent(db, lm="unused"), _retrieval])


def _tally(pairs: list[tuple[str, Path]]) -> Counter[str]:
    registries: dict[Path, AgentRegistry] = {}
    counts: Counter[str] = Counter()
    for question, db in pairs:
        registry = registries.setdefault(db, _registry(db))
        read = signals(question, registry)
        agents = "+".join(route(question, registry).agents)
        counts[f"{'sure' if read.sure else 'unsure'}:{agents}"] += 1
    return counts


def test_spider_questions_go_to_the_data_agent_without_the_lm():
    questions = json.loads((DATA / "spider" / "questions.json").read_text())
    pairs = [(q["question"], next((DATA / "spider" / "database" / q["db_id"]).glob("*.sqlite"))) for q in questions]
    counts = _tally(pairs)
    print(f"\nSpider ({len(pairs)} questions): {dict(counts)}")
    sure_data = sum(v for k, v in counts.items() if k.startswith("sure:data_analysis"))
    assert sure_data / len(pairs) >= 0.95
    assert counts["sure:retrieval"] <= 0.01 * len(pairs)


def test_scifact_claims_do_not_go_to_the_demo_database():
    claims = [json.loads(line)["text"] for line in (DATA / "scifact" / "queries.jsonl").open()]
    counts = _tally([(claim, DATA / "demo.duckdb") for claim in claims])
    print(f"\nSciFact claims ({len(claims)}) against the demo database: {dict(counts)}")
    to_data = sum(v for k, v in counts.items() if "data_analysis" in k)
    assert to_data / len(claims) <= 0.02
    assert counts["sure:retrieval"] / len(claims) >= 0.9


@pytest.mark.parametrize(("question", "agents"), [
    ("What is the average tip for each day of the week?", ["data_analysis"]),
    ("Does exercise reduce cancer mortality among Chinese citizens?", ["retrieval"]),
    ("Which five countries had the highest life expectancy in 2007, and what do studies say about healthy life "
     "expectancy?", ["data_analysis", "retrieval"]),
])
def test_the_demo_questions_are_planned_without_the_lm(question, agents):
    def no_lm(*_args: object) -> Plan:
        raise AssertionError("the LM planner was asked")

    plan = AutoPlanner(no_lm)(question, _registry(DATA / "demo.duckdb"), "", 0)
    assert plan.agents == agents and "no LM" in plan.note


def test_an_unsure_question_goes_to_the_lm_planner():
    asked = []

    def lm(question: str, *_args: object) -> Plan:
        asked.append(question)
        return route(question, _registry(DATA / "demo.duckdb"))

    # data words, but only a sliver of the words name anything in the demo database
    AutoPlanner(lm)("How many clinical trials of statins per year reported adverse liver enzyme elevations over "
                    "baseline in elderly patients with chronic kidney disease and diabetes mellitus?",
                    _registry(DATA / "demo.duckdb"), "", 0)
    assert asked
