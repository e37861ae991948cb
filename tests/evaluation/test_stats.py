"""Percentiles for the latency summaries of the evaluations and benchmarks."""

from __future__ import annotations

import pytest

from workbench.evaluation.stats import percentile


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5


def test_p95_of_one_to_a_hundred_is_ninety_five():
    assert percentile(range(1, 101), 0.95) == 95.0


def test_the_extremes_are_the_minimum_and_maximum():
    values = [7.0, 3.0, 9.0, 1.0]
    assert percentile(values, 0.0) == 1.0 and percentile(values, 1.0) == 9.0


def test_a_percentile_is_one_of_the_values_and_grows_with_q():
    values = [0.3, 12.0, 5.5, 5.5, 100.0, 0.01, 7.0]
    results = [percentile(values, q) for q in (0.0, 0.1, 0.25, 0.75, 0.9, 0.95, 0.99, 1.0)]
    assert set(results) <= set(values)
    assert results == sorted(results)


@pytest.mark.parametrize("q", [0.0, 0.5, 0.95])
def test_no_values_give_zero(q):
    assert percentile([], q) == 0.0


def test_a_single_value_is_every_percentile():
    assert {percentile([4.2], q) for q in (0.0, 0.5, 0.95, 1.0)} == {4.2}


def test_any_iterable_works_once():
    assert percentile((x / 10 for x in range(11)), 0.5) == 0.5


def test_p95_of_a_few_latencies_is_the_slowest_not_an_underestimate():
    # Nearest rank rounds to the closer position: 0.95 x 4 = 3.8 -> the fifth (slowest) of five values.
    assert percentile([0.2, 0.1, 0.5, 0.3, 0.4], 0.95) == 0.5
