"""Agent outcomes rendered as the evidence text the judge and the answer writer read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.supervisor.executor import AgentOutcome

MAX_ROWS = 10
MAX_CHARS = 1500


def render_evidence(outcomes: Sequence[AgentOutcome]) -> str:
    """One block per outcome: SQL with its first rows, retrieved context with numbered sources, or the error."""
    return join_evidence([render_outcome(o) for o in outcomes])


def render_outcome(outcome: AgentOutcome) -> str:
    """The evidence block of one outcome, headed ``## agent: task``."""
    head = f"## {outcome.agent}: {outcome.task}"
    if outcome.substituted_for:
        head += f" (standing in for {outcome.substituted_for})"
    return f"{head}\n{_body(outcome)}"


def join_evidence(blocks: Sequence[str]) -> str:
    """Evidence blocks as one text, or a note that there is none."""
    return "\n\n".join(blocks) if blocks else "(no agent returned anything)"


def _body(outcome: AgentOutcome) -> str:
    if not outcome.ok:
        return f"FAILED ({outcome.error_kind}): {outcome.error}"
    result: Any = outcome.result
    frame = getattr(result, "frame", None)
    if hasattr(result, "sql") and frame is not None:
        rows = frame.head(MAX_ROWS).to_string(index=False)
        more = f"\n({len(frame)} rows in all; first {MAX_ROWS} shown)" if len(frame) > MAX_ROWS else ""
        return f"SQL: {result.sql}\nResult:\n{rows}{more}"
    if hasattr(result, "sql"):
        return f"SQL failed ({getattr(result, 'error_kind', '')}): {getattr(result, 'error', '')}"
    if hasattr(result, "context") and hasattr(result, "sources"):
        if not result.sources:
            return f"No sources found ({getattr(result, 'error', '') or 'no match'})"
        return f"Confidence {result.confidence:.2f}\n{result.context[:MAX_CHARS * 2]}"
    text = str(result)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + " …"
