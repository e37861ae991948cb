"""Pairwise judge evaluation: both orders, accuracy, consistency and position bias (recorded LM answers)."""

from __future__ import annotations

import json

import pytest
from common import DATA, chat_answer, recorded_lm

from workbench.evaluation.judge_eval import Pair, evaluate_judge, load_pairs

LLMBAR = DATA / "llmbar" / "Natural" / "dataset.json"


def test_the_shipped_llmbar_pairs_load():
    pairs = load_pairs(LLMBAR)
    assert len(pairs) == 100 and {p.label for p in pairs} == {1, 2}


@pytest.mark.parametrize(("content", "message"), [
    ({"input": "x"}, "expected a JSON list of pairs, got dict"),
    ([{"input": "x", "output_1": "a", "output_2": "b"}], "item 0 lacks label"),
    ([{"input": "x", "output_1": "a", "output_2": "b", "label": 3}], "label 3; it must be 1 or 2"),
])
def test_malformed_pairs_are_refused_with_the_item_and_the_fix(tmp_path, content, message):
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match=message):
        load_pairs(path)


def test_a_judge_that_always_picks_the_first_shown_scores_chance_and_is_never_consistent(tmp_path):
    pairs = load_pairs(LLMBAR)[:3]
    lm, llama = recorded_lm(chat_answer(better="1"))
    summary = evaluate_judge(pairs, tmp_path, lm=lm, log=False, progress=False)
    assert summary["accuracy"] == 0.5 and summary["consistency"] == 0.0 and summary["first_position_rate"] == 1.0
    assert summary["n"] == 3 and summary["verdicts"] == 6 and len(llama.calls) == 6
    assert pairs[0].output_2[:40] in llama.prompt(1).split("[[ ## output_1 ## ]]")[-1]  # the second call swapped
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 3 and json.loads((tmp_path / "summary.json").read_text())["accuracy"] == 0.5


def test_a_judge_that_follows_the_content_is_right_and_consistent_in_both_orders(tmp_path):
    pairs = [Pair("Say hi.", "hi", "bye", 1), Pair("Say bye.", "hi", "bye", 2)]
    # order as shown: pair 1 (hi, bye) -> 1, (bye, hi) -> 2; pair 2 (hi, bye) -> 2, (bye, hi) -> 1
    answers = [chat_answer(better=b) for b in ("1", "2", "Output 2", "output_1")]
    lm, _ = recorded_lm(answers)
    summary = evaluate_judge(pairs, tmp_path, lm=lm, log=False, progress=False)
    assert summary["accuracy"] == 1.0 and summary["consistency"] == 1.0 and summary["both_correct"] == 1.0
    assert summary["first_position_rate"] == 0.5 and summary["unparsed"] == 0


def test_unparsable_verdicts_count_as_wrong(tmp_path):
    lm, _ = recorded_lm(chat_answer(better="Both are fine."))
    summary = evaluate_judge([Pair("q", "a", "b", 1)], tmp_path, lm=lm, log=False, progress=False)
    assert summary["accuracy"] == 0.0 and summary["unparsed"] == 2 and summary["first_position_rate"] is None


def test_the_balanced_judge_agrees_with_itself_in_both_orders_even_when_the_model_prefers_a_position(tmp_path):
    import numpy as np

    def logits(one: float) -> np.ndarray:
        scores = np.zeros(256, dtype=np.float32)
        scores[49] = one  # "1"; "2" (byte 50) stays at 0
        return scores

    # Every prompt gets "1" by +2 (a strong first-position habit); content nudges by ±1 toward the labelled output.
    pairs = load_pairs(LLMBAR)[:2]
    nudges = [x for p in pairs for x in ((1.0, -1.0) if p.label == 1 else (-1.0, 1.0))]
    lm, llama = recorded_lm("1", logits=[logits(2.0 + n) for n in nudges])
    summary = evaluate_judge(pairs, tmp_path, lm=lm, log=False, progress=False, method="balanced")
    assert summary.accuracy == 1.0 and summary.consistency == 1.0 and summary.first_position_rate == 0.5
    assert summary.raw_consistency == 0.0 and summary.raw_first_position_rate == 1.0  # one order alone: all "1"
    assert summary.position_bias == pytest.approx(2.0) and summary.unparsed == 0 and len(llama.calls) == 4
    assert summary.method == "balanced" and json.loads((tmp_path / "summary.json").read_text())["method"] == "balanced"
