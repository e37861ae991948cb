"""What makes a worker agent, and the registry the supervisor chooses from.

An agent has a ``name``, a ``description`` the planner reads, an async
``execute(task)`` and a ``health()`` report. Any object with those is an
agent (``Agent`` is a protocol); a plain function becomes one with the
``agent`` decorator::

    @agent(description="Converts an amount between currencies at today's rate.")
    async def currency(task: str) -> str:
        ...

    registry = AgentRegistry([currency])
"""

from __future__ import annotations

import asyncio
import html
import inspect
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Retry:
    """Another try at a task whose result the supervisor's evaluator scored low.

    ``feedback`` says what failed, ``failed`` names the failed checks (``rows``, ``shape``, ``agreement``...)
    and ``attempt`` counts the tries (1 for the first retry). An agent with an ``async retry(retry)`` method
    gets this and can change strategy; any other agent is simply called again with ``task``.
    """

    task: Any
    feedback: str = ""
    failed: tuple[str, ...] = ()
    attempt: int = 1

    def __str__(self) -> str:
        return str(self.task)


@runtime_checkable
class Agent(Protocol):
    """A worker the supervisor can plan for and call (``name`` and ``description`` may be attributes or
    properties)."""

    @property
    def name(self) -> str:
        """Unique name the planner uses to call the agent."""
        ...

    @property
    def description(self) -> str:
        """What the agent does, for the planner."""
        ...

    async def execute(self, task: Any) -> Any:
        """Do the task and return a result (errors may be raised or returned in the result)."""
        ...

    def health(self) -> dict[str, Any]:
        """At least ``{"ok": bool}``: whether the agent can take work now."""
        ...


class FunctionAgent:
    """An agent made from a function (sync functions run in a worker thread)."""

    def __init__(self, fn: Callable[[Any], Any], name: str | None = None, description: str | None = None) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.description = description or inspect.getdoc(fn) or ""
        if not self.description:
            raise ValueError(f"Agent {self.name!r} needs a description (the planner reads it to decide when to call "
                             "it): pass description=... or give the function a docstring")

    async def execute(self, task: Any) -> Any:
        """Call the function with ``task``."""
        if inspect.iscoroutinefunction(self.fn):
            return await self.fn(task)
        return await asyncio.to_thread(self.fn, task)

    def health(self) -> dict[str, Any]:
        """Always ready."""
        return {"ok": True}

    def __repr__(self) -> str:
        return f"FunctionAgent({self.name!r})"


def agent(fn: Callable[[Any], Any] | None = None, *, name: str | None = None,
          description: str | None = None) -> Any:
    """Make a function an agent: ``@agent`` or ``@agent(name=..., description=...)``."""
    if fn is not None:
        return FunctionAgent(fn, name, description)
    return lambda f: FunctionAgent(f, name, description)


class AgentRegistry:
    """The agents a supervisor may call, by name, each with optional stand-ins for when it is unavailable."""

    def __init__(self, agents: Iterable[Agent] = ()) -> None:
        self._agents: dict[str, Agent] = {}
        self._alternatives: dict[str, list[str]] = {}
        for a in agents:
            self.register(a)

    def register(self, agent: Agent, *, alternatives: Iterable[str] = (), replace: bool = False) -> Agent:
        """Add ``agent``; ``alternatives`` name agents that can stand in for it. Returns the agent."""
        if not isinstance(agent, Agent):
            raise TypeError(f"{agent!r} is not an agent: it needs name, description, async execute(task) and "
                            "health(); wrap a function with @workbench.agents.base.agent")
        if agent.name in self._agents and not replace:
            raise ValueError(f"An agent named {agent.name!r} is already registered; pass replace=True to swap it")
        self._agents[agent.name] = agent
        self._alternatives[agent.name] = list(alternatives)
        return agent

    def unregister(self, name: str) -> None:
        """Remove the agent called ``name``."""
        self.get(name)
        del self._agents[name]
        del self._alternatives[name]

    def get(self, name: str) -> Agent:
        """The agent called ``name``."""
        try:
            return self._agents[name]
        except KeyError:
            raise KeyError(f"No agent named {name!r}; registered: {', '.join(self._agents) or 'none'}") from None

    def alternatives(self, name: str) -> list[str]:
        """Registered stand-ins for ``name``, in preference order."""
        self.get(name)
        return [a for a in self._alternatives[name] if a in self._agents]

    @property
    def names(self) -> list[str]:
        """Registered agent names, in registration order."""
        return list(self._agents)

    def catalogue(self) -> str:
        """One line per agent, ``- name: description``: what the planner is shown."""
        return "\n".join(f"- {a.name}: {' '.join(a.description.split())}" for a in self._agents.values())

    def __contains__(self, name: object) -> bool:
        return name in self._agents

    def __iter__(self) -> Iterator[Agent]:
        return iter(list(self._agents.values()))

    def __len__(self) -> int:
        return len(self._agents)

    def __repr__(self) -> str:
        return f"AgentRegistry({', '.join(self._agents)})"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><b>{html.escape(a.name)}</b></td><td>{html.escape(a.description)}</td>"
                       f"<td>{html.escape(', '.join(self._alternatives[a.name]))}</td></tr>" for a in self)
        return f"<table><tr><th>agent</th><th>description</th><th>alternatives</th></tr>{rows}</table>"
