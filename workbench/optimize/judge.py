"""``workbench optimize judge``: tune the pairwise judge on LLMBar-format pairs, scored on pairs it never saw.

The pairs are shuffled with the seed and split: ``train_size`` pairs to train
on, the rest held out. The optimiser works on ``BothOrders``, which asks the
judge about a pair in both orders, and the metric gives a pair 1 only when
both verdicts are right. A judge that always names one position scores 0
there, not the 0.5 it gets per verdict, so the search cannot prefer a
position-biased program; and a bootstrapped demonstration comes with its
mirror image (one answering "1", one "2"). Accuracy and positional
consistency on the held-out pairs, both orders, come from ``workbench eval
judge`` before and after; the optimised judge is saved to
``programs/compiled/`` with its metadata.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dspy

from workbench.config import Settings, get_settings
from workbench.errors import InputError
from workbench.evaluation.judge_eval import Pair, evaluate_judge, load_pairs
from workbench.evaluation.summary import Summary
from workbench.optimize.common import OptimizationPlan, describe, run_optimizer
from workbench.programs.pairwise import PairwiseJudge

PROGRAM = "pairwise-judge"
DEMO_CHARS = 1500  # pairs longer than this are not used as demonstrations (they would crowd the context)


@dataclass(frozen=True, kw_only=True, eq=False)
class JudgeOptimizationSummary(Summary):
    """What ``optimize_judge`` did (``summary.json``): accuracy, consistency and position bias on the held-out
    pairs (both orders) before and after, the plan, the calls and time it took, and the file."""

    HEADLINE = ("lm", "optimizer", "n_train", "n_eval", "accuracy_zero_shot", "accuracy_optimized",
                "consistency_zero_shot", "consistency_optimized", "projected_calls", "optimize_calls", "optimize_s",
                "compiled")

    lm: str
    optimizer: str
    program: str
    plan: dict[str, Any]  # the fitted OptimizationPlan's fields
    n_train: int
    n_eval: int
    accuracy_zero_shot: float
    accuracy_optimized: float
    consistency_zero_shot: float
    consistency_optimized: float
    first_position_rate_zero_shot: float | None
    first_position_rate_optimized: float | None
    optimize_s: float
    optimize_calls: int
    projected_calls: int
    demos: list[int]  # demonstrations per predictor of the optimised judge
    compiled: str

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"optimised pairwise judge: {self.lm}, {self.optimizer}, {self.n_eval} held-out pairs"


def both_orders_metric(example: Any, prediction: Any, trace: Any = None, pred_name: str | None = None,
                       pred_trace: Any = None) -> Any:
    """1.0 when the judge picked the labelled output in both orders, else 0.0; GEPA's call gets feedback."""
    label = int(example.better)
    picks = (getattr(prediction, "as_given", None), getattr(prediction, "swapped", None))
    correct = picks == (label, 3 - label)
    if pred_name is None and pred_trace is None:
        return float(correct)
    feedback = "Right in both orders." if correct else (
        f"Output {label} (as given) follows the instruction better. Shown as given the judge answered "
        f"{picks[0]}, shown swapped it answered {picks[1]} (the right answer there is {3 - label}). Judge the "
        "content, not the position.")
    return dspy.Prediction(score=float(correct), feedback=feedback)


class BothOrders(dspy.Module):
    """Asks its ``judge`` (a ``PairwiseJudge``) about a pair as given and swapped; what the optimiser tunes."""

    def __init__(self) -> None:
        super().__init__()
        self.judge = PairwiseJudge()

    def forward(self, instruction: str, output_1: str, output_2: str) -> dspy.Prediction:
        """``as_given`` and ``swapped``: the judge's pick (1, 2 or None) in each order, in the order shown."""
        given = self.judge(instruction=instruction, output_1=output_1, output_2=output_2).better
        swapped = self.judge(instruction=instruction, output_1=output_2, output_2=output_1).better
        return dspy.Prediction(as_given=given, swapped=swapped)


def examples(pairs: list[Pair]) -> list[Any]:
    """DSPy examples of the pairs as given (label ``better`` "1" or "2"; ``BothOrders`` swaps them itself)."""
    return [dspy.Example(instruction=p.input, output_1=p.output_1, output_2=p.output_2, better=str(p.label))
            .with_inputs("instruction", "output_1", "output_2") for p in pairs]


def optimize_judge(pairs: str | Path, out: str | Path, *, optimizer: str = "bootstrap", lm: str | None = None,
                   budget: int | None = None, train_size: int = 40, demos: int = 3, candidates: int = 4,
                   seed: int = 0, save_to: str | Path | None = None, reflection_lm: str | None = None,
                   settings: Settings | None = None,
                   log: bool = True, progress: bool = True, echo: Any = print) -> JudgeOptimizationSummary:
    """Split, evaluate the zero-shot judge on the held-out pairs, optimise on the rest, evaluate, save.

    Returns (and writes to ``OUT/summary.json``) accuracy and consistency before and after.
    """
    from workbench.lm import resolve_lm
    from workbench.programs.compiled import COMPILED_DIR, CompiledMeta, lm_name, save_compiled
    from workbench.programs.pairwise import VERSION

    settings = settings or get_settings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = load_pairs(pairs)
    order = random.Random(seed).sample(range(len(items)), len(items))
    train = [items[i] for i in order[:train_size]]
    held = [items[i] for i in order[train_size:]]
    if not held or not train:
        raise InputError(f"{pairs} has {len(items)} pairs; --train-size {train_size} leaves nothing to "
                         "train on or to evaluate")
    boot = examples([p for p in train if len(p.input) + len(p.output_1) + len(p.output_2) <= DEMO_CHARS])
    val = examples(train)
    plan = OptimizationPlan(optimizer, len(boot), len(val), demos, candidates, budget, seed,
                            calls_per_example=2).fitted()
    model = resolve_lm(lm, settings=settings)
    echo(f"{len(train)} training pairs ({len(boot)} short ones to bootstrap from, {len(val)} to validate), "
         f"{len(held)} held out")
    echo(describe(plan, 2.0 if "1.5b" in lm_name(model) else 1.0) + " (each example judged in both orders: two "
         f"LM calls); plus {4 * len(held)} calls to evaluate the held-out pairs before and after (demonstrations "
         "make the later ones several times slower)")
    common = {"lm": model, "settings": settings, "log": log, "progress": progress}
    zero = evaluate_judge(held, out / "zero-shot", **common)
    echo(f"zero-shot: accuracy {zero.accuracy:.3f}, consistency {zero.consistency:.3f}")
    done = run_optimizer(plan, both_orders_metric, BothOrders(), boot, val, lm=model, reflection_lm=reflection_lm,
                         settings=settings)
    compiled, optimize_s, calls = done.program.judge, done.seconds, done.calls
    tuned = evaluate_judge(held, out / "optimized", program=compiled, **common)
    echo(f"optimised: accuracy {tuned.accuracy:.3f}, consistency {tuned.consistency:.3f} "
         f"({optimize_s / 60:.1f} min, {calls} LM calls)")
    meta = CompiledMeta(program=PROGRAM, version=VERSION, variant="predict", lm=lm_name(model),
                        trainset=f"{pairs} seed {seed}, {len(train)} pairs", metric="right in both orders",
                        score=tuned.accuracy, baseline=zero.accuracy, optimizer=optimizer,
                        extra={"n_eval": len(held), "plan": vars(plan), "optimize_s": round(optimize_s, 1)})
    path = save_compiled(compiled, meta, save_to or COMPILED_DIR)
    summary = JudgeOptimizationSummary(
        lm=lm_name(model), optimizer=optimizer, program=VERSION, plan=vars(plan), n_train=len(train),
        n_eval=len(held), accuracy_zero_shot=zero.accuracy, accuracy_optimized=tuned.accuracy,
        consistency_zero_shot=zero.consistency, consistency_optimized=tuned.consistency,
        first_position_rate_zero_shot=zero.first_position_rate,
        first_position_rate_optimized=tuned.first_position_rate,
        optimize_s=round(optimize_s, 1), optimize_calls=calls, projected_calls=plan.projected_calls,
        demos=[len(p.demos) for _, p in compiled.named_predictors()], compiled=str(path))
    summary.write(out / "summary.json")
    return summary
