"""An LM check of generated SQL, read from first-token probabilities: does this query answer the question?

``SQLVerifier(lm).probability(question, schema, sql, preview)`` shows a local
model the schema, the question, the query and its first rows, asks whether
the query returns exactly what was asked, and reads P(yes) from the logits of
its first output token: one forward pass, no text generated or parsed. The
schema comes first, so the checks of one database share a prompt prefix the
engine reuses. It runs on its own model instance (``slot="check"``) so it
does not evict the SQL writer's prefix. An LM without first-token scores (an
API model) gives ``None``, which the evaluator treats as unknown.

On the first 70 training questions of visible Spider (1.5B) P(yes) alone
separated right from wrong queries with AUC 0.80; it enters the evaluator as
the ``lm_check`` signal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dspy

VERSION = "sql-check-v1"
SYSTEM = "You review SQL queries. Answer with one word: yes or no."
PROMPT = ("{schema}\n\nQuestion: {question}\nSQL: {sql}\nResult (first rows):\n{preview}\n\nDoes this SQL return "
          "exactly what the question asks for, no more and no less? Answer yes or no.")
YES = ("yes", "Yes", " yes", " Yes")
NO = ("no", "No", " no", " No")


class SQLVerifier:
    """P(yes) that a query answers a question, from a local model's first token (see the module docstring).

    Args:
        lm: A ``dspy.LM``, a model name, or None for the ``lm`` setting; names load on the ``check`` slot.
    """

    def __init__(self, lm: dspy.BaseLM | str | None = None) -> None:
        self._spec = lm
        self._engine: Any = None

    def _engine_or_none(self) -> Any:
        if self._engine is None:
            from workbench.lm import resolve_lm

            lm = resolve_lm(self._spec, slot="check")
            self._engine = getattr(lm, "engine", None) or False
        return self._engine or None

    def probability(self, question: str, schema: str, sql: str, preview: str) -> float | None:
        """P(yes) in [0, 1], or ``None`` when the LM exposes no first-token scores."""
        import numpy as np

        engine = self._engine_or_none()
        if engine is None or not hasattr(engine, "first_token_logprobs"):
            return None
        messages = [{"role": "system", "content": SYSTEM},
                    {"role": "user", "content": PROMPT.format(schema=schema, question=question, sql=sql,
                                                             preview=preview)}]
        logp = engine.first_token_logprobs(messages, [*YES, *NO])
        yes = np.logaddexp.reduce([logp[w] for w in YES])
        no = np.logaddexp.reduce([logp[w] for w in NO])
        if not (np.isfinite(yes) or np.isfinite(no)):
            return None
        return float(1.0 / (1.0 + np.exp(no - yes)))


def preview_of(frame: Any, rows: int = 5) -> str:
    """The first rows of a result as the verifier shows them."""
    return str(frame.head(rows).to_string(index=False))
