"""A chat adapter that forgives small models for dropping the output-field header.

Small local models often answer a one-field signature with the bare value
(e.g. a fenced SQL block) instead of ``[[ ## sql ## ]]``. DSPy's
``ChatAdapter`` then fails to parse and retries the whole call through its
JSON fallback, doubling the cost. When a signature has exactly one string
output field, this adapter takes the bare completion as that field instead.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspy.utils.exceptions import AdapterParseError

_COMPLETED = "[[ ## completed ## ]]"


class LenientChatAdapter(dspy.ChatAdapter):
    """``ChatAdapter`` that reads a header-less answer as the single string output field."""

    def parse(self, signature: type[dspy.Signature], completion: str) -> dict[str, Any]:
        """Parse as ``ChatAdapter`` does; fall back to the bare text for one-string-field signatures."""
        try:
            return super().parse(signature, completion)
        except AdapterParseError:
            fields = signature.output_fields
            if len(fields) != 1 or next(iter(fields.values())).annotation is not str:
                raise
            text = completion.replace(_COMPLETED, "").strip()
            if not text:
                raise
            return {next(iter(fields)): text}
