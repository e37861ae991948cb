"""Agent outcomes rendered as the evidence text the judge and the answer writer read."""

from __future__ import annotations

from collections.abc import Sequence

from workbench.agents.result import as_agent_result
from workbench.supervisor.executor import AgentOutcome


def render_evidence(outcomes: Sequence[AgentOutcome]) -> str:
    """One block per outcome: the result's own evidence (``AgentResult.evidence``), or the error."""
    return join_evidence([render_outcome(o) for o in outcomes])


def render_outcome(outcome: AgentOutcome) -> str:
    """The evidence block of one outcome, headed ``## agent: task``."""
    head = f"## {outcome.agent}: {outcome.task}"
    if outcome.substituted_for:
        head += f" (standing in for {outcome.substituted_for})"
    if not outcome.ok:
        return f"{head}\nFAILED ({outcome.error_kind}): {outcome.error}"
    return f"{head}\n{as_agent_result(outcome.result).evidence()}"


def join_evidence(blocks: Sequence[str]) -> str:
    """Evidence blocks as one text, or a note that there is none."""
    return "\n\n".join(blocks) if blocks else "(no agent returned anything)"
