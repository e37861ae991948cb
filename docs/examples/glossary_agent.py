"""An agent with its own result type, added to a supervisor without changing the supervisor.

The agent answers "what does <term> mean?" from a glossary of metric definitions.
Its result implements the ``workbench.AgentResult`` protocol: ``ok``, ``error``,
``evidence()`` (what the judge and the answer writer read), ``record()`` (what the
session store keeps), ``trace_events()`` (what the trace shows) and
``_repr_html_()`` (how it looks in a notebook). ``tests/agents/test_custom_agent.py``
runs this file through the supervisor, the trace viewer and the session store.

    python docs/examples/glossary_agent.py
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

GLOSSARY = {
    "churn rate": "The share of customers at the start of a period who have left by its end.",
    "life expectancy": "The average number of years a newborn would live at current death rates.",
    "tip rate": "The tip divided by the total bill, before tax.",
}


@dataclass
class Definition:
    """A glossary entry found for a question, or the terms that were looked for."""

    term: str
    text: str
    looked_for: list[str]

    @property
    def ok(self) -> bool:
        """True when a definition was found."""
        return bool(self.text)

    @property
    def error(self) -> str:
        """Why there is no definition."""
        return "" if self.ok else f"no glossary entry for {', '.join(self.looked_for) or 'the question'}"

    def evidence(self) -> str:
        """What the judge and the answer writer read."""
        return f"Glossary: {self.term}: {self.text}" if self.ok else f"Glossary: {self.error}"

    def record(self) -> dict[str, Any]:
        """What the session store keeps (JSON)."""
        return {"type": "definition", "term": self.term, "text": self.text}

    def trace_events(self) -> list[tuple[str, dict[str, Any]]]:
        """One ``observation`` event for the trace (and the trace viewer)."""
        return [("observation", {"term": self.term, "found": self.ok})]

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self.term)}</b>: {html.escape(self.text or self.error)}</p>"


class GlossaryAgent:
    """Looks terms up in a glossary of metric definitions."""

    name = "glossary"
    description = "Defines metrics and terms (churn rate, life expectancy, tip rate) from the team's glossary."

    def __init__(self, glossary: dict[str, str] | None = None) -> None:
        self.glossary = GLOSSARY if glossary is None else glossary

    async def execute(self, task: Any) -> Definition:
        """Find the glossary term named in ``task``."""
        text = str(task).lower()
        for term, definition in self.glossary.items():
            if re.search(rf"\b{re.escape(term)}\b", text):
                return Definition(term, definition, [term])
        return Definition("", "", re.findall(r"[a-z]+ (?:rate|expectancy)", text))

    def health(self) -> dict[str, Any]:
        """Ready whenever the glossary has entries."""
        return {"ok": bool(self.glossary), "terms": len(self.glossary)}


def rule_judge(question: str, records: list[dict[str, Any]]) -> Any:
    """A judge without an LM: 1 when every agent returned usable evidence, else 0."""
    from workbench.supervisor.evaluator import Judgement

    return Judgement(1.0 if records and all(r["ok"] for r in records) else 0.0, "", source="rule")


if __name__ == "__main__":
    import workbench

    sup = workbench.Supervisor([GlossaryAgent()], planner="router", sessions=":memory:", judge=rule_judge,
                               writer=lambda question, evidence: evidence.splitlines()[-1])
    result = sup.run("What does churn rate mean?")
    print(result.answer)
