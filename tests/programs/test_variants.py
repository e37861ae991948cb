"""Named program variants: each text2sql variant is a valid set of pipeline switches; unknown names are refused."""

from __future__ import annotations

import importlib

import pytest

from workbench.programs.variants import JUDGE_VARIANTS, TEXT2SQL_VARIANTS, text2sql_variant
from workbench.sql.text2sql import Text2SQLOptions


@pytest.mark.parametrize("name", list(TEXT2SQL_VARIANTS))
def test_every_text2sql_variant_builds_pipeline_options(name):
    variant = text2sql_variant(name)
    options = Text2SQLOptions(**variant["options"])  # a misspelt switch would raise TypeError here
    assert isinstance(variant["compiled"], bool) and variant["about"]
    assert options.repair_attempts >= 0


def test_variants_differ_in_the_switch_they_are_named_for():
    assert text2sql_variant("predict")["options"]["repair_attempts"] == 0
    assert text2sql_variant("cot")["options"]["chain_of_thought"] is True
    assert text2sql_variant("vote")["options"]["candidates"] > 1
    assert text2sql_variant("values")["options"]["sample_values"] > 0
    assert [n for n, v in TEXT2SQL_VARIANTS.items() if v["compiled"]] == ["optimized"]


def test_an_unknown_variant_is_refused_with_the_known_names():
    with pytest.raises(ValueError, match=r"Unknown text2sql variant 'fast'; known: predict, repair, cot"):
        text2sql_variant("fast")


@pytest.mark.parametrize("name", list(JUDGE_VARIANTS))
def test_every_judge_variant_names_an_importable_program(name):
    target = JUDGE_VARIANTS[name].split(" ")[0]
    module, _, attr = target.partition(":")
    assert callable(getattr(importlib.import_module(module), attr))
