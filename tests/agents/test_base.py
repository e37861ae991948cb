"""The agent protocol and registry: function agents, the planner's catalogue, stand-ins, clear errors."""

from __future__ import annotations

import asyncio

import pytest

from workbench.agents.base import Agent, AgentRegistry, FunctionAgent, agent
from workbench.agents.retrieval import InformationRetrievalAgent


@agent(description="Doubles a number.")
async def double(task: int) -> int:
    return task * 2


@agent
def shout(task: str) -> str:
    """Upper-cases the text."""
    return task.upper()


def test_functions_become_agents_in_a_few_lines():
    assert isinstance(double, Agent) and double.name == "double"
    assert asyncio.run(double.execute(21)) == 42
    assert asyncio.run(shout.execute("hi")) == "HI" and shout.description == "Upper-cases the text."
    assert shout.health() == {"ok": True}


def test_registry_lists_agents_for_the_planner_and_their_stand_ins(scifact_index):
    registry = AgentRegistry([double])
    registry.register(shout, alternatives=["double", "missing"])
    registry.register(InformationRetrievalAgent(scifact_index))
    assert registry.names == ["double", "shout", "retrieval"]
    assert registry.catalogue().splitlines()[0] == "- double: Doubles a number."
    assert "- retrieval: Searches a collection of documents" in registry.catalogue()
    assert registry.alternatives("shout") == ["double"]
    assert "retrieval" in registry and len(registry) == 3 and "<table>" in registry._repr_html_()


def test_registry_errors_name_the_problem():
    registry = AgentRegistry([double])
    with pytest.raises(ValueError, match="already registered"):
        registry.register(FunctionAgent(lambda t: t, name="double", description="x"))
    with pytest.raises(KeyError, match="registered: double"):
        registry.get("nope")
    with pytest.raises(TypeError, match="is not an agent"):
        registry.register(object())
    with pytest.raises(ValueError, match="needs a description"):
        agent(lambda t: t)
    registry.unregister("double")
    assert len(registry) == 0
