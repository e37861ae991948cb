"""The supervisor as a LangGraph ``StateGraph``::

    START → plan → select ─┬─► execute (one task per agent, in parallel) ─┬─► select (next plan step)
              ▲            └─► (nothing selected) ───────────────────────┴─► evaluate ─┬─► answer → END
              └──────────────────────────── iterate ◄── score < threshold ─────────────┘

Each agent call is its own ``execute`` task (a LangGraph ``Send``), so the
checkpointer stores each finished call's result as soon as it lands; a run
resumed after a crash re-runs only the calls that had not finished.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.supervisor.nodes import Nodes
from workbench.supervisor.state import SessionState

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

NODE_NAMES = ("plan", "select", "execute", "evaluate", "iterate", "answer")


def build_graph(nodes: Nodes, checkpointer: BaseCheckpointSaver | None) -> CompiledStateGraph:
    """The compiled supervisor graph over ``nodes``, checkpointed by ``checkpointer`` after every node."""
    from langgraph.graph import END, START, StateGraph

    graph = StateGraph(SessionState)
    for name in NODE_NAMES:
        action: Any = Nodes.wrap(name, getattr(nodes, name))  # LangGraph's overloads cannot type a wrapped node
        graph.add_node(name, action)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "select")
    graph.add_conditional_edges("select", nodes.after_select, ["execute", "select", "evaluate"])
    graph.add_conditional_edges("execute", nodes.after_execute, ["select", "evaluate"])
    graph.add_conditional_edges("evaluate", nodes.after_evaluate, ["iterate", "answer"])
    graph.add_edge("iterate", "plan")
    graph.add_edge("answer", END)
    return graph.compile(checkpointer=checkpointer)
