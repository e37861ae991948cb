"""Execution accuracy by Spider's rules: multisets of rows, columns in any order, order only under ORDER BY."""

from __future__ import annotations

import pytest

from workbench.evaluation.metrics import gold_is_ordered, results_match


def test_columns_may_come_in_any_order():
    gold = [("Joe", 52), ("Rose", 41)]
    assert results_match(gold, [(52, "Joe"), (41, "Rose")], ordered=False)


def test_rows_are_a_multiset_unless_the_gold_is_ordered():
    gold = [("a",), ("b",), ("b",)]
    assert results_match(gold, [("b",), ("a",), ("b",)], ordered=False)
    assert not results_match(gold, [("b",), ("a",), ("b",)], ordered=True)
    assert not results_match(gold, [("a",), ("b",)], ordered=False)  # duplicates count
    assert not results_match(gold, [("a",), ("a",), ("b",)], ordered=False)


def test_extra_or_missing_columns_do_not_match():
    assert not results_match([(1,)], [(1, 2)], ordered=False)
    assert not results_match([(1, 2)], [(1,)], ordered=False)


def test_values_compare_as_numbers_and_empty_results_match():
    assert results_match([(6,)], [(6.0,)], ordered=False)
    assert results_match([], [], ordered=True)
    assert not results_match([(1,)], [], ordered=False)


def test_columns_with_equal_values_are_paired_by_whole_rows():
    gold = [(1, 2), (2, 1)]
    assert results_match(gold, [(2, 1), (1, 2)], ordered=False)
    assert not results_match([(1, 2), (1, 2)], [(1, 2), (2, 1)], ordered=False)


@pytest.mark.parametrize(("sql", "ordered"), [
    ("SELECT name FROM singer ORDER BY age DESC", True),
    ("SELECT name FROM singer", False),
    ("SELECT name FROM (SELECT * FROM singer ORDER BY age) AS t", False),
    ("SELECT name FROM a UNION SELECT name FROM b ORDER BY name", True),
])
def test_row_order_counts_only_for_a_top_level_order_by(sql, ordered):
    assert gold_is_ordered(sql) is ordered
