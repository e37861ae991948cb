"""The balanced pairwise judge: the verdict does not depend on which output is shown first."""

from __future__ import annotations

import numpy as np
import pytest
from common import recorded_lm

from workbench.errors import InputError
from workbench.supervisor.pairwise import BalancedPairwiseJudge


def logits(one: float, two: float) -> np.ndarray:
    """First-token logits over the recorded llama's 256 byte tokens: "1" is byte 49, "2" byte 50."""
    scores = np.zeros(256, dtype=np.float32)
    scores[49], scores[50] = one, two
    return scores


def test_a_model_that_prefers_the_first_position_still_picks_the_better_output():
    # The model likes output A by 1 in log-odds and whatever comes first by 0.5: A first gives 1.5, A second -0.5.
    lm, llama = recorded_lm("1", logits=[logits(1.5, 0.0), logits(-0.5, 0.0)])
    verdict = BalancedPairwiseJudge(lm).compare("Say hi", "A", "B")
    assert verdict.better == 1 and verdict.log_odds == pytest.approx(1.0)
    assert verdict.position_bias == pytest.approx(0.5) and verdict.p_first == pytest.approx(1 / (1 + np.exp(-1)))
    assert len(llama.calls) == 2 and llama.prompt(0).split("# Output (1):")[1].startswith("\nA\n")

    lm, _ = recorded_lm("1", logits=[logits(-0.5, 0.0), logits(1.5, 0.0)])  # the same model, the pair swapped
    swapped = BalancedPairwiseJudge(lm).compare("Say hi", "B", "A")
    assert swapped.better == 2 and swapped.log_odds == pytest.approx(-verdict.log_odds)


def test_an_lm_without_first_token_scores_is_a_clear_error():
    import dspy

    with pytest.raises(InputError, match="local models"):
        _ = BalancedPairwiseJudge(dspy.LM("openai/gpt-4o-mini")).engine
