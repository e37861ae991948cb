"""``workbench optimize judge``: tune the pairwise judge on LLMBar-format pairs, scored on pairs it never saw.

The pairs are shuffled with the seed and split: ``train_size`` pairs to train
on, the rest held out. Every training pair enters in both orders, so the
demonstrations a bootstrap keeps answer "1" and "2" alike and cannot teach a
position. Accuracy and positional consistency on the held-out pairs, both
orders, come from ``workbench eval judge`` before and after; the optimised
judge is saved to ``programs/compiled/`` with its metadata.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.evaluation.judge_eval import Pair, evaluate_judge, load_pairs
from workbench.optimize.common import Plan, describe, make_optimizer

PROGRAM = "pairwise-judge"
DEMO_CHARS = 1500  # pairs longer than this are not used as demonstrations (they would crowd the context)


def choice_metric(example: Any, prediction: Any, trace: Any = None, pred_name: str | None = None,
                  pred_trace: Any = None) -> Any:
    """1.0 when the judge picked the labelled output; GEPA's call gets feedback saying which was right."""
    correct = getattr(prediction, "better", None) == int(example.better)
    if pred_name is None and pred_trace is None:
        return float(correct)
    import dspy

    feedback = ("Right." if correct else f"Wrong: output {example.better} follows the instruction better; the "
                f"judge answered {getattr(prediction, 'raw', '')!r}.")
    return dspy.Prediction(score=float(correct), feedback=feedback)


def both_orders(pairs: list[Pair]) -> list[Any]:
    """DSPy examples for each pair as given and with its outputs swapped (label ``better`` as "1"/"2")."""
    import dspy

    out = []
    for p in pairs:
        for first, second, better in ((p.output_1, p.output_2, p.label), (p.output_2, p.output_1, 3 - p.label)):
            out.append(dspy.Example(instruction=p.input, output_1=first, output_2=second, better=str(better))
                       .with_inputs("instruction", "output_1", "output_2"))
    return out


def optimize_judge(pairs: str | Path, out: str | Path, *, optimizer: str = "bootstrap", lm: str | None = None,
                   budget: int | None = None, train_size: int = 40, demos: int = 3, candidates: int = 4,
                   seed: int = 0, save_to: str | Path | None = None, settings: Settings | None = None,
                   log: bool = True, progress: bool = True, echo: Any = print) -> dict[str, Any]:
    """Split, evaluate the zero-shot judge on the held-out pairs, optimise on the rest, evaluate, save.

    Returns (and writes to ``OUT/summary.json``) accuracy and consistency before and after.
    """
    import dspy

    from workbench.lm import resolve_lm
    from workbench.programs.adapter import LenientChatAdapter
    from workbench.programs.compiled import COMPILED_DIR, CompiledMeta, lm_name, save_compiled
    from workbench.programs.pairwise import VERSION, PairwiseJudge

    settings = settings or get_settings()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    items = load_pairs(pairs)
    order = random.Random(seed).sample(range(len(items)), len(items))
    train = [items[i] for i in order[:train_size]]
    held = [items[i] for i in order[train_size:]]
    if not held or not train:
        raise ValueError(f"{pairs} has {len(items)} pairs; --train-size {train_size} leaves nothing to "
                         "train on or to evaluate")
    boot = both_orders([p for p in train if len(p.input) + len(p.output_1) + len(p.output_2) <= DEMO_CHARS])
    val = both_orders(train)
    plan = Plan(optimizer, len(boot), len(val), demos, candidates, budget, seed).fitted()
    model = resolve_lm(lm, settings=settings)
    echo(f"{len(train)} training pairs ({len(boot)} short verdicts to bootstrap from, {len(val)} to validate), "
         f"{len(held)} held out")
    echo(describe(plan, 2.0 if "1.5b" in lm_name(model) else 1.0) +
         f"; plus {4 * len(held)} calls to evaluate the held-out pairs before and after")
    common = {"lm": model, "settings": settings, "log": log, "progress": progress}
    zero = evaluate_judge(held, out / "zero-shot", **common)
    echo(f"zero-shot: accuracy {zero['accuracy']:.3f}, consistency {zero['consistency']:.3f}")
    opt, compile_kwargs = make_optimizer(plan, choice_metric, lm=model)
    calls_before = len(model.history)
    started = time.perf_counter()
    with dspy.context(lm=model, adapter=LenientChatAdapter()):
        compiled = opt.compile(PairwiseJudge(), trainset=boot, valset=val, **compile_kwargs)
    optimize_s = time.perf_counter() - started
    calls = len(model.history) - calls_before
    tuned = evaluate_judge(held, out / "optimized", program=compiled, **common)
    echo(f"optimised: accuracy {tuned['accuracy']:.3f}, consistency {tuned['consistency']:.3f} "
         f"({optimize_s / 60:.1f} min, {calls} LM calls)")
    meta = CompiledMeta(program=PROGRAM, version=VERSION, variant="predict", lm=lm_name(model),
                        trainset=f"{pairs} seed {seed}, {len(train)} pairs", metric="pairwise accuracy",
                        score=tuned["accuracy"], baseline=zero["accuracy"], optimizer=optimizer,
                        extra={"n_eval": len(held), "plan": vars(plan), "optimize_s": round(optimize_s, 1)})
    path = save_compiled(compiled, meta, save_to or COMPILED_DIR)
    summary = {"lm": lm_name(model), "optimizer": optimizer, "program": VERSION, "plan": vars(plan),
               "n_train": len(train), "n_eval": len(held),
               "accuracy_zero_shot": zero["accuracy"], "accuracy_optimized": tuned["accuracy"],
               "consistency_zero_shot": zero["consistency"], "consistency_optimized": tuned["consistency"],
               "first_position_rate_zero_shot": zero["first_position_rate"],
               "first_position_rate_optimized": tuned["first_position_rate"],
               "optimize_s": round(optimize_s, 1), "optimize_calls": calls, "projected_calls": plan.projected_calls,
               "demos": [len(p.demos) for _, p in compiled.named_predictors()], "compiled": str(path)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
