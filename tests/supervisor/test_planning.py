"""Planning: the LM's JSON plan validated, and the deterministic router when it is unusable."""

from __future__ import annotations

import pytest
from common import chat_answer, recorded_lm

from workbench.agents.base import AgentRegistry, FunctionAgent
from workbench.supervisor.executor import AgentCall
from workbench.supervisor.planning import PlanError, make_plan, parse_plan, route, split_tasks


@pytest.fixture
def registry() -> AgentRegistry:
    return AgentRegistry([FunctionAgent(lambda t: t, name="data_analysis", description="SQL over the database"),
                          FunctionAgent(lambda t: t, name="retrieval", description="search the documents")])


def test_a_valid_lm_plan_is_used(registry):
    plan_json = ('[[{"agent": "data_analysis", "task": "count orders per month"}, '
                 '{"agent": "retrieval", "task": "returns policy"}]]')
    lm, fake = recorded_lm(chat_answer(plan=plan_json))
    plan = make_plan("Orders per month, and what is the returns policy?", registry, lm)
    assert plan.source == "lm" and plan.note == ""
    assert plan.steps == [[AgentCall("data_analysis", "count orders per month"),
                           AgentCall("retrieval", "returns policy")]]
    assert "- data_analysis: SQL over the database" in fake.prompt(0)


def test_an_unusable_lm_plan_falls_back_to_the_router_and_says_why(registry):
    lm, _ = recorded_lm(chat_answer(plan='[[{"agent": "web_search", "task": "look it up"}]]'))
    plan = make_plan("How many customers are there?", registry, lm)
    assert plan.source == "router" and plan.agents == ["data_analysis"]
    assert "unknown agent 'web_search'" in plan.note and "router chose data_analysis" in plan.note


@pytest.mark.parametrize(("text", "steps"), [
    ('```json\n[{"agent": "retrieval", "task": "a"}]\n```', [["retrieval"]]),
    ('{"agent": "retrieval", "task": "a"}', [["retrieval"]]),
    ('[[{"agent": "retrieval", "task": "a"}], [{"agent": "data_analysis", "task": "b"}]]',
     [["retrieval"], ["data_analysis"]]),
])
def test_plan_shapes_are_accepted(registry, text, steps):
    assert [[c.agent for c in step] for step in parse_plan(text, registry)] == steps


@pytest.mark.parametrize(("text", "message"), [
    ("not json", "not JSON"),
    ("[]", "non-empty list"),
    ('[[{"agent": "retrieval", "task": ""}]]', "task for retrieval is empty"),
    ('[["retrieval"]]', "must be an object"),
])
def test_bad_plans_are_refused_with_the_reason(registry, text, message):
    with pytest.raises(PlanError, match=message):
        parse_plan(text, registry)


def test_only_the_first_plan_counts_when_the_model_keeps_writing(registry):
    notes: list[str] = []
    text = ('[[{"agent": "retrieval", "task": "a"}, {"agent": "retrieval", "task": "a"}]]\n'
            '[[{"agent": "retrieval", "task": "summarise"}]]')
    assert parse_plan(text, registry, notes=notes) == [[AgentCall("retrieval", "a")]]
    assert notes == ["kept the first JSON value and ignored 47 more characters",
                     "dropped a repeated call to retrieval in step 1"]


def test_too_many_steps_are_refused(registry):
    step = '[{"agent": "retrieval", "task": "a"}]'
    with pytest.raises(PlanError, match="at most 3"):
        parse_plan(f"[{step}, {step}, {step}, {step}]", registry)


def test_router_sends_figures_to_sql_text_to_retrieval_and_mixed_to_both(registry):
    assert route("How many orders were placed per month?", registry).agents == ["data_analysis"]
    assert route("What does the returns policy say about refunds?", registry).agents == ["retrieval"]
    assert route("Explain the trend of average tips per day", registry).agents == ["data_analysis", "retrieval"]
    assert make_plan("Who wrote the policy?", registry).source == "router"
    assert route("What is the average tip for each day?", registry).agents == ["data_analysis"]


def test_a_question_with_a_data_part_and_a_text_part_gives_each_agent_its_part(registry):
    plan = route("Which five countries had the highest life expectancy in 2007, and what do studies say about "
                 "healthy life expectancy?", registry)
    assert [(c.agent, c.task) for c in plan.steps[0]] == [
        ("data_analysis", "Which five countries had the highest life expectancy in 2007?"),
        ("retrieval", "What do studies say about healthy life expectancy?")]
    assert split_tasks("How many orders per month and how many per year?", registry) == {}
