"""``workbench eval judge``: pairwise accuracy and positional consistency of the judge on LLMBar-format pairs.

A pairs file is a JSON list of ``{input, output_1, output_2, label}`` with
``label`` 1 or 2 naming the better output (LLMBar's format). Every pair is
judged twice, once in each order, which cancels a preference for a position:

* ``accuracy``: share of the 2·n verdicts that pick the labelled output (an
  unparsable verdict counts as wrong); chance is 0.5;
* ``consistency``: share of pairs whose two verdicts pick the same output;
* ``both_correct``: share of pairs judged right in both orders;
* ``first_position_rate``: share of verdicts picking whichever output was
  shown first (0.5 is unbiased).

Writes ``OUTDIR/results.jsonl`` (one line per pair) and ``OUTDIR/summary.json``,
and logs one MLflow run (experiment ``judge-eval``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.config import Settings, get_settings
from workbench.errors import InputError, MissingInputError
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary

NO_TOKENS = {"prompt_tokens": 0, "completion_tokens": 0}


@dataclass(frozen=True)
class Pair:
    """One instruction, two outputs, and which of them (1 or 2) is better."""

    input: str
    output_1: str
    output_2: str
    label: int


def load_pairs(path: str | Path) -> list[Pair]:
    """Read an LLMBar-format JSON file; a malformed item is an error naming its index and what is wrong."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"No pairs file at {path}: pass a JSON list of {{input, output_1, output_2, label}}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); expected a list of "
                         "{input, output_1, output_2, label}") from exc
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a JSON list of pairs, got {type(data).__name__}")
    pairs = []
    for i, item in enumerate(data):
        missing = [k for k in ("input", "output_1", "output_2", "label") if not isinstance(item, dict) or k not in item]
        if missing:
            raise InputError(f"{path}: item {i} lacks {', '.join(missing)}")
        if item["label"] not in (1, 2, "1", "2"):
            raise InputError(f"{path}: item {i} has label {item['label']!r}; it must be 1 or 2")
        pairs.append(Pair(str(item["input"]), str(item["output_1"]), str(item["output_2"]), int(item["label"])))
    return pairs


def evaluate_judge(pairs: str | Path | list[Pair], out: str | Path, *, lm: Any = None, limit: int | None = None,
                   cache: bool = True, program: Any = None, settings: Settings | None = None, log: bool = True,
                   progress: bool = True) -> dict[str, Any]:
    """Judge every pair in both orders with the pairwise judge on ``lm``; write and return the summary.

    ``program`` replaces the zero-shot ``PairwiseJudge`` (e.g. an optimised one); the summary's ``compiled``
    says whether it had demonstrations.
    """
    import dspy
    from tqdm.auto import tqdm

    from workbench.lm import prediction_tokens, resolve_lm
    from workbench.programs.adapter import LenientChatAdapter
    from workbench.programs.pairwise import VERSION, PairwiseJudge

    settings = settings or get_settings()
    source = str(pairs) if not isinstance(pairs, list) else "(in memory)"
    items = load_pairs(pairs) if not isinstance(pairs, list) else pairs
    items = items[:limit] if limit else items
    if not items:
        raise InputError(f"No pairs to judge in {source}; pass a non-empty pairs file (and a positive limit)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model = resolve_lm(lm, settings=settings, cache=cache)
    judge = program if program is not None else PairwiseJudge()
    records = []
    started = time.perf_counter()
    with (out / "results.jsonl").open("w", encoding="utf-8") as lines:
        for i, pair in enumerate(tqdm(items, desc="judge eval", unit="pair", disable=not progress)):
            verdicts = []
            for flipped in (False, True):
                first, second = (pair.output_2, pair.output_1) if flipped else (pair.output_1, pair.output_2)
                t = time.perf_counter()
                with dspy.context(lm=model, adapter=LenientChatAdapter(), track_usage=True):
                    try:
                        verdict = judge(instruction=pair.input, output_1=first, output_2=second)
                        choice, raw, tokens = verdict.better, verdict.raw, prediction_tokens(verdict)
                    except Exception as exc:  # an unparsable or failed call is a wrong verdict, kept with why
                        choice, raw, tokens = None, f"{type(exc).__name__}: {exc}", dict(NO_TOKENS)
                picked = None if choice is None else (3 - choice if flipped else choice)  # in the pair's numbering
                verdicts.append({"picked": picked, "raw": raw[:200], "first_shown": choice == 1,
                                 "seconds": round(time.perf_counter() - t, 3), "tokens": tokens})
            picked = [v["picked"] for v in verdicts]
            record = {"index": i, "label": pair.label, "picked": picked,
                      "correct": [p == pair.label for p in picked],
                      "consistent": picked[0] is not None and picked[0] == picked[1],
                      "first_shown": [v["first_shown"] for v in verdicts], "raw": [v["raw"] for v in verdicts],
                      "seconds": [v["seconds"] for v in verdicts], "tokens": [v["tokens"] for v in verdicts]}
            records.append(record)
            lines.write(json.dumps(record, ensure_ascii=False) + "\n")
    summary = _summary(records, time.perf_counter() - started)
    summary.update(lm=lm if isinstance(lm, str) else getattr(model, "model", str(model)), program=VERSION,
                   pairs=source, limit=limit, lm_cache=cache,
                   demos=sum(len(p.demos) for _, p in judge.named_predictors()))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    if log:
        _log(summary, out, settings)
    return Summary(f"pairwise judge: {summary['lm']}, {summary['n']} pairs in both orders", summary)


def _summary(records: list[dict[str, Any]], wall_s: float) -> dict[str, Any]:
    verdicts = [c for r in records for c in r["correct"]]
    seconds = [s for r in records for s in r["seconds"]]
    picks = [f for r in records for f, p in zip(r["first_shown"], r["picked"], strict=True) if p is not None]
    return {
        "accuracy": round(sum(verdicts) / len(verdicts), 4),
        "consistency": round(sum(r["consistent"] for r in records) / len(records), 4),
        "both_correct": round(sum(all(r["correct"]) for r in records) / len(records), 4),
        "first_position_rate": round(sum(picks) / len(picks), 4) if picks else None,
        "unparsed": sum(p is None for r in records for p in r["picked"]),
        "n": len(records),
        "verdicts": len(verdicts),
        "seconds_p50": round(percentile(seconds, 0.5), 3),
        "seconds_p95": round(percentile(seconds, 0.95), 3),
        "wall_s": round(wall_s, 1),
        "prompt_tokens": sum(t["prompt_tokens"] for r in records for t in r["tokens"]),
        "completion_tokens": sum(t["completion_tokens"] for r in records for t in r["tokens"]),
    }


def _log(summary: dict[str, Any], out: Path, settings: Settings) -> None:
    import mlflow

    from workbench.tracking import start_run

    with start_run("judge-eval", run_name=f"{summary['program']}-{summary['lm']}-n{summary['n']}", settings=settings):
        mlflow.log_params({k: summary[k] for k in ("lm", "program", "pairs", "limit", "lm_cache", "demos")})
        mlflow.log_metrics({k: float(summary[k]) for k in ("accuracy", "consistency", "both_correct", "unparsed", "n",
                                                           "seconds_p50", "seconds_p95", "wall_s", "prompt_tokens",
                                                           "completion_tokens")
                            if summary.get(k) is not None})
        if summary.get("first_position_rate") is not None:
            mlflow.log_metric("first_position_rate", summary["first_position_rate"])
        for name in ("results.jsonl", "summary.json"):
            mlflow.log_artifact(str(out / name))
