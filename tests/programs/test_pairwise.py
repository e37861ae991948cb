"""The pairwise judge's answer parsing."""

from __future__ import annotations

import pytest

from workbench.programs.pairwise import parse_choice


@pytest.mark.parametrize(("text", "choice"), [
    ("1", 1), ("2", 2), ("Output 2", 2), ("output_1", 1), ("(b)", 2), ("Output (a) is better", 1),
    ("1 or 2", None), ("a better one", None), ("2.5", None), ("", None),
])
def test_choices_parse(text, choice):
    assert parse_choice(text) == choice
