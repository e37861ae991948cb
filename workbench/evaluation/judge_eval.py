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

Two judges can be measured (``method``): ``generate``, the DSPy program
``PairwiseJudge`` asked once per order (any LM), and ``balanced``,
``workbench.supervisor.pairwise.BalancedPairwiseJudge``, which reads both
orders from first-token probabilities and averages them, so its two verdicts
agree by construction; its summary adds what a single order would have
given (``raw_consistency``, ``raw_first_position_rate``) and the mean
position bias in log-odds.

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
from workbench.errors import InputError
from workbench.evaluation.stats import percentile
from workbench.evaluation.summary import Summary, figure
from workbench.jsonl import read_json

NO_TOKENS = {"prompt_tokens": 0, "completion_tokens": 0}


@dataclass(frozen=True, kw_only=True, eq=False)
class JudgeSummary(Summary):
    """What ``evaluate_judge`` measured (``summary.json``): accuracy over both orders, consistency, position
    bias, unparsed verdicts, time and tokens, and what ran (LM, program, pairs, demonstrations)."""

    accuracy: float
    consistency: float
    both_correct: float
    first_position_rate: float | None  # None when no verdict parsed
    unparsed: int
    n: int
    verdicts: int
    seconds_p50: float
    seconds_p95: float
    wall_s: float
    prompt_tokens: int
    completion_tokens: int
    lm: str
    program: str
    pairs: str
    limit: int | None
    lm_cache: bool
    demos: int
    method: str = "generate"
    raw_consistency: float | None = figure(optional=True)  # balanced: one order's verdicts, before averaging
    raw_first_position_rate: float | None = figure(optional=True)
    position_bias: float | None = figure(optional=True)  # balanced: mean log-odds added for the first position

    @property
    def title(self) -> str:
        """The heading of the notebook display."""
        return f"pairwise judge ({self.method}): {self.lm}, {self.n} pairs in both orders"


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
    data = read_json(path, "Pairs", "a list of {input, output_1, output_2, label}")
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


METHODS = ("balanced", "generate")


def evaluate_judge(pairs: str | Path | list[Pair], out: str | Path, *, lm: Any = None, limit: int | None = None,
                   cache: bool = True, program: Any = None, settings: Settings | None = None, log: bool = True,
                   progress: bool = True, method: str = "generate") -> JudgeSummary:
    """Judge every pair in both orders with the pairwise judge on ``lm``; write and return the summary.

    ``method`` is ``generate`` (the DSPy ``PairwiseJudge``; ``program`` replaces it, e.g. with an optimised one,
    and ``demos`` counts its demonstrations) or ``balanced`` (first-token probabilities of both orders, averaged;
    local models only).
    """
    from tqdm.auto import tqdm

    from workbench.lm import lm_context, prediction_tokens, resolve_lm
    from workbench.programs.pairwise import VERSION, PairwiseJudge

    if method not in METHODS:
        raise InputError(f"Unknown judge method {method!r}; known: {', '.join(METHODS)}")

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
    balanced = None
    if method == "balanced":
        from workbench.supervisor.pairwise import VERSION, BalancedPairwiseJudge

        balanced = BalancedPairwiseJudge(model)
        balanced.engine  # noqa: B018 - fail before the loop when the LM has no first-token scores
    records = []
    started = time.perf_counter()
    with (out / "results.jsonl").open("w", encoding="utf-8") as lines:
        for i, pair in enumerate(tqdm(items, desc=f"judge eval ({method})", unit="pair", disable=not progress)):
            if balanced is not None:
                record = _balanced_record(balanced, pair, i)
                records.append(record)
                lines.write(json.dumps(record, ensure_ascii=False) + "\n")
                continue
            verdicts = []
            for flipped in (False, True):
                first, second = (pair.output_2, pair.output_1) if flipped else (pair.output_1, pair.output_2)
                t = time.perf_counter()
                with lm_context(model):
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
    summary = JudgeSummary(**_figures(records, time.perf_counter() - started),
                           lm=lm if isinstance(lm, str) else getattr(model, "model", str(model)), program=VERSION,
                           pairs=source, limit=limit, lm_cache=cache, method=method,
                           demos=0 if balanced else sum(len(p.demos) for _, p in judge.named_predictors()),
                           **(_raw_figures(records) if balanced else {}))
    summary.write(out / "summary.json")
    if log:
        _log(summary, out, settings)
    return summary


def _balanced_record(judge: Any, pair: Pair, index: int) -> dict[str, Any]:
    """One pair judged by the balanced judge: the same pick for both presented orders, and the raw ones."""
    verdict = judge.compare(pair.input, pair.output_1, pair.output_2)
    picked = [verdict.better, verdict.better]
    raw = [1 if verdict.d_first >= 0 else 2, 1 if verdict.d_swapped >= 0 else 2]  # each order on its own
    return {"index": index, "label": pair.label, "picked": picked, "correct": [p == pair.label for p in picked],
            "consistent": True, "first_shown": [verdict.better == 1, verdict.better == 2],
            "p_first": round(verdict.p_first, 4), "d_first": round(verdict.d_first, 4),
            "d_swapped": round(verdict.d_swapped, 4), "raw_picked": raw, "raw_first_shown": [raw[0] == 1, raw[1] == 2],
            "raw": [f"{verdict.d_first:+.3f}", f"{-verdict.d_swapped:+.3f}"],
            "seconds": [verdict.seconds / 2, verdict.seconds / 2], "tokens": [dict(NO_TOKENS), dict(NO_TOKENS)]}


def _raw_figures(records: list[dict[str, Any]]) -> dict[str, Any]:
    """What one order alone would have given, and the mean position bias (balanced judge only)."""
    raw_first = [f for r in records for f in r["raw_first_shown"]]
    bias = [(r["d_first"] - r["d_swapped"]) / 2 for r in records]
    return {"raw_consistency": round(sum(r["raw_picked"][0] == r["raw_picked"][1] for r in records) / len(records), 4),
            "raw_first_position_rate": round(sum(raw_first) / len(raw_first), 4),
            "position_bias": round(sum(bias) / len(bias), 4)}


def _figures(records: list[dict[str, Any]], wall_s: float) -> dict[str, Any]:
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


def _log(s: JudgeSummary, out: Path, settings: Settings) -> None:
    from workbench.tracking import log_run

    metrics = {k: float(s[k]) for k in ("accuracy", "consistency", "both_correct", "unparsed", "n", "seconds_p50",
                                        "seconds_p95", "wall_s", "prompt_tokens", "completion_tokens",
                                        "first_position_rate") if s[k] is not None}
    log_run("judge-eval", run_name=f"{s.program}-{s.lm}-n{s.n}", settings=settings,
            params={k: s[k] for k in ("lm", "program", "method", "pairs", "limit", "lm_cache", "demos")},
            metrics={**metrics, **{k: float(s[k]) for k in ("raw_consistency", "raw_first_position_rate",
                                                            "position_bias") if s.get(k) is not None}},
            artifacts=[out / name for name in ("results.jsonl", "summary.json")])
