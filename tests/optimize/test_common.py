"""Optimisation plans (projected LM calls, the budget that caps them) and the optimiser run they drive."""

from __future__ import annotations

import pytest

from workbench.optimize.common import OptimizationPlan, describe, make_optimizer


def test_bootstrap_projection_counts_candidates_and_the_three_fixed_programs():
    plan = OptimizationPlan("bootstrap", train=94, val=30, demos=3, candidates=4)
    assert plan.projected_calls == (4 + 3) * (6 + 30)
    assert "about 252 LM calls" in describe(plan, 2.0) and "about 8 min" in describe(plan, 2.0)
    assert plan.worst_case_calls == (4 + 3) * (94 + 30) and f"up to {plan.worst_case_calls}" in describe(plan, 2.0)


def test_a_budget_reduces_bootstrap_candidates_and_refuses_when_too_small():
    plan = OptimizationPlan("bootstrap", train=94, val=30, candidates=10, budget=200).fitted()
    assert plan.candidates == 2 and plan.projected_calls <= 200
    with pytest.raises(ValueError, match="too small"):
        OptimizationPlan("bootstrap", train=94, val=30, budget=100).fitted()


def test_mipro_and_gepa_fit_their_search_to_the_budget():
    mipro = OptimizationPlan("mipro", train=94, val=30, candidates=4, budget=400)
    assert mipro.projected_calls <= 400 + mipro.minibatch and mipro.mipro_trials >= 1
    gepa = OptimizationPlan("gepa", train=94, val=30, budget=400)
    assert gepa.gepa_metric_calls == 300 and gepa.projected_calls == 400


def test_unknown_optimizer_and_empty_sets_are_refused():
    with pytest.raises(ValueError, match="bootstrap, mipro, gepa"):
        OptimizationPlan("random", train=10, val=10)
    with pytest.raises(ValueError, match="training and validation"):
        OptimizationPlan("bootstrap", train=10, val=0)


def test_each_optimizer_builds_as_the_installed_dspy_expects():
    import dspy

    def metric(example, prediction, trace=None, pred_name=None, pred_trace=None):
        return 1.0

    lm = dspy.LM("openai/unused", api_key="none")
    kinds = {name: type(make_optimizer(OptimizationPlan(name, train=20, val=10), metric, lm=lm)[0]).__name__
             for name in ("bootstrap", "mipro", "gepa")}
    assert kinds == {"bootstrap": "BootstrapFewShotWithRandomSearch", "mipro": "MIPROv2", "gepa": "GEPA"}
    _, kwargs = make_optimizer(OptimizationPlan("mipro", train=20, val=30, budget=300), metric, lm=lm)
    assert kwargs["minibatch_size"] == 10 and kwargs["num_trials"] >= 1


def test_a_program_making_two_calls_per_example_projects_twice_the_calls():
    one = OptimizationPlan("bootstrap", train=24, val=30, candidates=2)
    two = OptimizationPlan("bootstrap", train=24, val=30, candidates=2, calls_per_example=2)
    assert two.projected_calls == 2 * one.projected_calls
    capped = OptimizationPlan("bootstrap", train=24, val=30, candidates=9, budget=400, calls_per_example=2)
    assert capped.fitted().candidates == 2


def test_a_plan_within_its_budget_or_without_one_is_kept_as_it_is():
    assert OptimizationPlan("bootstrap", train=94, val=30).fitted().candidates == 4
    within = OptimizationPlan("bootstrap", train=94, val=30, candidates=2, budget=1000)
    assert within.fitted() == within
    assert OptimizationPlan("gepa", train=94, val=30, budget=50).fitted().candidates == 4  # only bootstrap shrinks


def test_without_a_budget_each_optimizer_uses_its_default_search():
    assert OptimizationPlan("bootstrap", train=4, val=30, demos=3).bootstrap_calls == 4  # no more than the trainset
    mipro = OptimizationPlan("mipro", train=94, val=6, candidates=5)
    assert mipro.mipro_trials == 10 and mipro.minibatch == 6
    assert OptimizationPlan("gepa", train=94, val=30).gepa_metric_calls == 3 * 30 + 94
    line = describe(mipro, 1.0)
    assert "budget" not in line and "up to" not in line and "5 candidates" in line


def test_run_optimizer_reports_the_lm_calls_the_optimisation_made_and_hands_it_the_sets(monkeypatch):
    from types import SimpleNamespace

    import dspy

    from workbench.optimize import common

    lm = SimpleNamespace(history=[{"an earlier call": 1}])
    seen = {}

    class Recording:
        def compile(self, student, *, trainset, valset, **kwargs):
            seen.update(student=student, trainset=trainset, valset=valset, kwargs=kwargs, lm=dspy.settings.lm)
            lm.history += [{}, {}, {}]
            return "compiled program"

    def make(plan, metric, *, lm=None):
        seen["proposer"] = lm
        return Recording(), {"num_trials": 7}

    monkeypatch.setattr(common, "make_optimizer", make)
    done = common.run_optimizer(OptimizationPlan("mipro", train=2, val=1), lambda *a: 1.0, "student", ["t1", "t2"],
                                ["v1"], lm=lm)
    assert done.program == "compiled program" and done.calls == 3 and done.seconds >= 0
    assert seen["trainset"] == ["t1", "t2"] and seen["valset"] == ["v1"] and seen["kwargs"] == {"num_trials": 7}
    assert seen["lm"] is lm and seen["proposer"] is lm  # the task LM proposes when no reflection LM is named
