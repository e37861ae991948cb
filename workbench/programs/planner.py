"""The supervisor's planner prompt (a DSPy program): question + agent catalogue → ordered steps of agent calls."""

from __future__ import annotations

from typing import Any

import dspy

VERSION = "planner-v2"
NO_FEEDBACK = "none"
MAX_TOKENS = 256  # a plan is a few short JSON objects; a longer answer is a model that lost its way


class PlanSteps(dspy.Signature):
    """Plan how to answer the question with the available agents. Return one JSON list of steps; each step is a
    list of calls that can run at the same time, each call {"agent": <agent name>, "task": <what to ask it>}.
    Use only listed agents. Call an agent only for the part of the question it can answer: figures from tables
    go to the SQL agent, what documents say goes to the search agent. Prefer one step; use more only when a
    later call needs an earlier result. If feedback on an earlier attempt is given, change the plan to address
    it. Write the JSON once, on one line, and stop."""

    agents: str = dspy.InputField(desc="the available agents, one per line: '- name: what it does'")
    question: str = dspy.InputField()
    feedback: str = dspy.InputField(desc="'none', or what was wrong with the previous answer")
    plan: str = dspy.OutputField(desc='JSON, e.g. [[{"agent": "retrieval", "task": "..."}]]')


_EXAMPLE_AGENTS = (
    "- data_analysis: Answers questions about tabular data by writing and running read-only SQL. "
    "Tables: orders(order_id, product, amount, ordered_at); products(product, category, price).\n"
    "- retrieval: Searches a collection of documents and returns passages with sources. "
    "The collection: company policies and customer reviews (1,200 documents)."
)

# Hand-written examples (`workbench optimize` tunes text2sql and the judge, not the planner). They show the three
# shapes of plan with a made-up catalogue, so no real question is leaked into the prompt.
EXAMPLES = (
    ("How many orders were placed in each month of 2023?",
     '[[{"agent": "data_analysis", "task": "Count the orders per month in 2023"}]]'),
    ("What does the returns policy say about refunds for opened items?",
     '[[{"agent": "retrieval", "task": "returns policy refunds for opened items"}]]'),
    ("Which product sold the most last year, and what do customers say about it in reviews?",
     '[[{"agent": "data_analysis", "task": "Which product had the highest total amount last year"}, '
     '{"agent": "retrieval", "task": "customer reviews of the best-selling product"}]]'),
)


def examples() -> list[dspy.Example]:
    """The planner's demonstrations as DSPy examples."""
    return [dspy.Example(agents=_EXAMPLE_AGENTS, question=q, feedback=NO_FEEDBACK, plan=p).with_inputs(
        "agents", "question", "feedback") for q, p in EXAMPLES]


class Planner(dspy.Module):
    """Write a plan (raw JSON text; ``workbench.supervisor.planning`` validates it)."""

    def __init__(self) -> None:
        super().__init__()
        self.write = dspy.Predict(PlanSteps)
        self.write.demos = examples()

    def forward(self, question: str, agents: str, feedback: str = NO_FEEDBACK, **kwargs: Any) -> dspy.Prediction:
        """Return a prediction whose ``plan`` field holds the LM's JSON text (at most ``MAX_TOKENS`` tokens
        unless ``config`` says otherwise)."""
        kwargs.setdefault("config", {"max_tokens": MAX_TOKENS})
        return self.write(agents=agents, question=question, feedback=feedback, **kwargs)
