"""Optimisation plans: the projected LM calls printed before a run, and the budget that caps them."""

from __future__ import annotations

import pytest

from workbench.optimize.common import Plan, describe, make_optimizer


def test_bootstrap_projection_counts_candidates_and_the_three_fixed_programs():
    plan = Plan("bootstrap", train=94, val=30, demos=3, candidates=4)
    assert plan.projected_calls == (4 + 3) * (6 + 30)
    assert "about 252 LM calls" in describe(plan, 2.0) and "about 8 min" in describe(plan, 2.0)
    assert plan.worst_case_calls == (4 + 3) * (94 + 30) and f"up to {plan.worst_case_calls}" in describe(plan, 2.0)


def test_a_budget_reduces_bootstrap_candidates_and_refuses_when_too_small():
    plan = Plan("bootstrap", train=94, val=30, candidates=10, budget=200).fitted()
    assert plan.candidates == 2 and plan.projected_calls <= 200
    with pytest.raises(ValueError, match="too small"):
        Plan("bootstrap", train=94, val=30, budget=100).fitted()


def test_mipro_and_gepa_fit_their_search_to_the_budget():
    mipro = Plan("mipro", train=94, val=30, candidates=4, budget=400)
    assert mipro.projected_calls <= 400 + mipro.minibatch and mipro.mipro_trials >= 1
    gepa = Plan("gepa", train=94, val=30, budget=400)
    assert gepa.gepa_metric_calls == 300 and gepa.projected_calls == 400


def test_unknown_optimizer_and_empty_sets_are_refused():
    with pytest.raises(ValueError, match="bootstrap, mipro, gepa"):
        Plan("random", train=10, val=10)
    with pytest.raises(ValueError, match="training and validation"):
        Plan("bootstrap", train=10, val=0)


def test_each_optimizer_builds_as_the_installed_dspy_expects():
    import dspy

    def metric(example, prediction, trace=None, pred_name=None, pred_trace=None):
        return 1.0

    lm = dspy.LM("openai/unused", api_key="none")
    kinds = {name: type(make_optimizer(Plan(name, train=20, val=10), metric, lm=lm)[0]).__name__
             for name in ("bootstrap", "mipro", "gepa")}
    assert kinds == {"bootstrap": "BootstrapFewShotWithRandomSearch", "mipro": "MIPROv2", "gepa": "GEPA"}
    _, kwargs = make_optimizer(Plan("mipro", train=20, val=30, budget=300), metric, lm=lm)
    assert kwargs["minibatch_size"] == 10 and kwargs["num_trials"] >= 1


def test_a_program_making_two_calls_per_example_projects_twice_the_calls():
    one = Plan("bootstrap", train=24, val=30, candidates=2)
    two = Plan("bootstrap", train=24, val=30, candidates=2, calls_per_example=2)
    assert two.projected_calls == 2 * one.projected_calls
    assert Plan("bootstrap", train=24, val=30, candidates=9, budget=400, calls_per_example=2).fitted().candidates == 2
