"""Named variants of the programs, for experiments and the command line.

A text2sql variant is a set of pipeline switches (``Text2SQLOptions``) plus
whether the compiled (optimised) program for the LM is used. A judge variant
names the judge program: pointwise (score in [0, 1] with feedback) or pairwise
(which of two outputs is better).
"""

from __future__ import annotations

from typing import Any

from workbench.errors import InputError

TEXT2SQL_VARIANTS: dict[str, dict[str, Any]] = {
    "predict": {"options": {"repair_attempts": 0}, "compiled": False,
                "about": "one Predict call, no repair"},
    "repair": {"options": {"repair_attempts": 2}, "compiled": False,
               "about": "Predict, errors fed back up to twice (the default pipeline, zero-shot)"},
    "cot": {"options": {"chain_of_thought": True, "repair_attempts": 2}, "compiled": False,
            "about": "ChainOfThought (reasoning before the SQL), with repair"},
    "values": {"options": {"sample_values": 3, "repair_attempts": 2}, "compiled": False,
               "about": "Predict with three example values per column in the schema, with repair"},
    "vote": {"options": {"candidates": 3, "repair_attempts": 2}, "compiled": False,
             "about": "self-consistency: three candidates, the result most agree on wins, with repair"},
    "optimized": {"options": {"repair_attempts": 2}, "compiled": True,
                  "about": "the compiled (optimised) program saved for the LM, with repair"},
}

JUDGE_VARIANTS: dict[str, str] = {
    "pointwise": "workbench.programs.judge:Judge — scores each agent and the whole in [0, 1] with feedback",
    "pairwise": "workbench.programs.pairwise:PairwiseJudge — answers which of two outputs is better",
}


def text2sql_variant(name: str) -> dict[str, Any]:
    """The switches of the text2sql variant ``name``; a clear error lists the known ones."""
    if name not in TEXT2SQL_VARIANTS:
        raise InputError(f"Unknown text2sql variant {name!r}; known: {', '.join(TEXT2SQL_VARIANTS)}")
    return TEXT2SQL_VARIANTS[name]
