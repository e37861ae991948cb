"""What every prompt optimisation shares: the optimisers, their projected cost, and the budget.

``make_optimizer(plan, metric)`` builds one of DSPy's optimisers from an
``OptimizationPlan``: ``bootstrap`` (``BootstrapFewShotWithRandomSearch``: bootstrapped
demonstrations, candidate sets scored on a validation set), ``mipro``
(``MIPROv2``: instructions proposed by the LM plus demonstrations, searched
with minibatches) or ``gepa`` (``GEPA``: instructions rewritten by reflecting
on the metric's textual feedback). ``OptimizationPlan.projected_calls`` is what the
command prints before it starts: an upper bound on LM calls for the settings
chosen, which ``--budget`` caps.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.errors import InputError

OPTIMIZERS = ("bootstrap", "mipro", "gepa")


@dataclass(frozen=True)
class OptimizationPlan:
    """How big an optimisation run is (the optimiser, demos per program, candidates, the sizes of the sets it reads,
    the budget) and how many LM calls it is projected to make."""

    optimizer: str
    train: int
    val: int
    demos: int = 3
    candidates: int = 4
    budget: int | None = None
    seed: int = 0
    calls_per_example: int = 1  # LM calls one run of the program makes (the judge in both orders: 2)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        if self.val < 1 or self.train < 1:
            raise InputError(f"An optimisation needs training and validation examples (got {self.train} and "
                             f"{self.val}); use more questions or another split")

    @property
    def bootstrap_calls(self) -> int:
        """Calls to find ``demos`` passing traces, expecting about half to pass (a bootstrap tries the whole
        trainset when few pass, so this is an estimate, not a bound)."""
        return min(self.train, 2 * self.demos)

    @property
    def projected_calls(self) -> int:
        """The expected LM calls of the optimisation itself (evaluations before and after not included)."""
        return self.calls_per_example * self.projected_runs

    @property
    def worst_case_calls(self) -> int:
        """Bootstrap's calls when almost no training example passes: every candidate tries the whole trainset."""
        if self.optimizer != "bootstrap":
            return self.projected_calls
        return self.calls_per_example * (self.candidates + 3) * (self.train + self.val)

    @property
    def projected_runs(self) -> int:
        """Expected runs of the program (metric calls, bootstrap tries) plus proposal/reflection calls."""
        if self.optimizer == "bootstrap":
            # DSPy also scores three fixed programs: zero-shot, labelled demos only, and unshuffled bootstrap
            return (self.candidates + 3) * (self.bootstrap_calls + self.val)
        if self.optimizer == "mipro":
            proposals = 2 * self.candidates  # instruction proposer: about one dataset summary and one per candidate
            return self.candidates * self.bootstrap_calls + proposals + self.mipro_trials * self.minibatch + self.val
        return self.gepa_metric_calls + math.ceil(self.gepa_metric_calls / 3)  # reflection every minibatch of 3

    @property
    def minibatch(self) -> int:
        """MIPRO's minibatch size."""
        return min(self.val, 10)

    @property
    def mipro_trials(self) -> int:
        """MIPRO trials that fit the budget (or twice the candidates without one)."""
        if self.budget is None:
            return 2 * self.candidates
        fixed = self.candidates * self.bootstrap_calls + 2 * self.candidates + self.val
        return max(1, (self.budget - fixed) // self.minibatch)

    @property
    def gepa_metric_calls(self) -> int:
        """GEPA's ``max_metric_calls``: the budget, less a quarter for reflection (or three passes over val)."""
        if self.budget is None:
            return 3 * self.val + self.train
        return max(self.val + 1, self.budget * 3 // 4)

    def fitted(self) -> OptimizationPlan:
        """This plan with fewer candidates (bootstrap) when the budget is smaller than its projection."""
        if self.budget is None or self.optimizer != "bootstrap" or self.projected_calls <= self.budget:
            return self
        per_candidate = (self.bootstrap_calls + self.val) * self.calls_per_example
        candidates = self.budget // per_candidate - 3
        if candidates < 1:
            raise InputError(f"--budget {self.budget} is too small for bootstrap: one candidate with the three "
                             f"fixed programs needs {4 * per_candidate} calls; raise the budget or shrink the "
                             "validation set")
        return dataclasses.replace(self, candidates=candidates)


def make_optimizer(plan: OptimizationPlan, metric: Callable[..., Any], *, lm: Any = None) -> tuple[Any, dict[str, Any]]:
    """The DSPy optimiser for ``plan`` and the keyword arguments its ``compile`` needs besides the sets.

    ``lm`` is the reflection / proposal model for GEPA and MIPRO (the task model itself by default).
    """
    import dspy

    if plan.optimizer == "bootstrap":
        optimizer = dspy.BootstrapFewShotWithRandomSearch(
            metric=metric, max_bootstrapped_demos=plan.demos, max_labeled_demos=plan.demos,
            num_candidate_programs=plan.candidates, num_threads=1, max_errors=10_000)
        return optimizer, {}
    if plan.optimizer == "mipro":
        optimizer = dspy.MIPROv2(metric=metric, prompt_model=lm, task_model=lm, auto=None,
                                 num_candidates=plan.candidates, max_bootstrapped_demos=plan.demos,
                                 max_labeled_demos=plan.demos, num_threads=1, seed=plan.seed, verbose=False)
        return optimizer, {"num_trials": plan.mipro_trials, "minibatch_size": plan.minibatch,
                           "minibatch": plan.val > plan.minibatch, "requires_permission_to_run": False}
    optimizer = dspy.GEPA(metric=metric, max_metric_calls=plan.gepa_metric_calls, reflection_lm=lm,
                          reflection_minibatch_size=3, num_threads=1, seed=plan.seed, track_stats=False)
    return optimizer, {}


@dataclass
class Optimised:
    """What ``run_optimizer`` returns: the compiled program, and the time and LM calls the optimisation took."""

    program: Any
    seconds: float
    calls: int


def run_optimizer(plan: OptimizationPlan, metric: Callable[..., Any], student: Any, trainset: list[Any],
                  valset: list[Any], *, lm: Any, reflection_lm: str | None = None, settings: Any = None) -> Optimised:
    """Compile ``student`` with the optimiser of ``plan`` on ``lm`` (instructions proposed by ``reflection_lm``,
    default ``lm``); LM calls are counted from ``lm``'s history (cache hits are not calls)."""
    from workbench.lm import lm_context, resolve_lm

    proposer = resolve_lm(reflection_lm, settings=settings) if reflection_lm else lm
    optimizer, compile_kwargs = make_optimizer(plan, metric, lm=proposer)
    calls_before = len(lm.history)
    started = time.perf_counter()
    with lm_context(lm):
        program = optimizer.compile(student, trainset=trainset, valset=valset, **compile_kwargs)
    return Optimised(program, time.perf_counter() - started, len(lm.history) - calls_before)


def describe(plan: OptimizationPlan, seconds_per_call: float) -> str:
    """The line printed before launching: projected LM calls and time."""
    calls = plan.projected_calls
    minutes = calls * seconds_per_call / 60
    cap = f" (budget {plan.budget})" if plan.budget is not None else ""
    worst = plan.worst_case_calls
    if worst > calls:
        cap += f", up to {worst} if few training examples pass"
    return (f"{plan.optimizer}: about {calls} LM calls{cap} for the optimisation, about {minutes:.0f} min at "
            f"{seconds_per_call:.1f} s per call; {plan.train} training and {plan.val} validation examples, "
            f"{plan.demos} demos, {plan.candidates} candidates")
