"""Optimising the pairwise judge: held-out pairs in both orders before and after, with a scripted LM."""

from __future__ import annotations

import re
from typing import Any

from common import DATA, RecordedLlama, chat_answer

from workbench.evaluation.judge_eval import load_pairs
from workbench.optimize.judge import BothOrders, both_orders_metric, examples, optimize_judge
from workbench.programs.compiled import load_compiled
from workbench.programs.pairwise import VERSION, PairwiseJudge

PAIRS = DATA / "llmbar" / "Natural" / "dataset.json"
BLOCK = re.compile(r"\[\[ ## output_1 ## \]\]\n(.*?)\n\n\[\[ ## output_2 ## \]\]\n(.*?)"
                   r"(?=\n\n\[\[ ## |\n\nRespond|<\|im_end)", re.DOTALL)


class BiasedUntilShownLlama(RecordedLlama):
    """Answers "1" (the first position) zero-shot; with demonstrations in the prompt it picks the better output."""

    def __init__(self) -> None:
        super().__init__("")
        self.better = {}
        for pair in load_pairs(PAIRS):
            self.better[(pair.output_1.strip(), pair.output_2.strip())] = str(pair.label)
            self.better[(pair.output_2.strip(), pair.output_1.strip())] = str(3 - pair.label)

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        prompt = bytes(kwargs["prompt"]).decode()
        shown = [(a.strip(), b.strip()) for a, b in BLOCK.findall(prompt) if a != "{output_1}"]
        answer = self.better.get(shown[-1], "1") if len(shown) > 1 else "1"
        self.texts = [chat_answer(better=answer)]
        self.calls.clear()
        return super().create_completion(**kwargs)


def test_the_metric_counts_a_pair_only_when_both_orders_are_right():
    import dspy

    example = examples(load_pairs(PAIRS)[:1])[0]
    label = int(example.better)
    assert both_orders_metric(example, dspy.Prediction(as_given=label, swapped=3 - label)) == 1.0
    assert both_orders_metric(example, dspy.Prediction(as_given=1, swapped=1)) == 0.0  # a position, not content
    scored = both_orders_metric(example, dspy.Prediction(as_given=1, swapped=1), None, "judge.compare", [])
    assert scored.score == 0.0 and "not the position" in scored.feedback


def test_both_orders_asks_the_judge_twice_swapping_the_outputs():
    from common import recorded_lm

    lm, llama = recorded_lm([chat_answer(better="1"), chat_answer(better="1")])
    pair = load_pairs(PAIRS)[0]
    with dspy_context(lm):
        out = BothOrders()(instruction=pair.input, output_1=pair.output_1, output_2=pair.output_2)
    assert (out.as_given, out.swapped) == (1, 1) and len(llama.calls) == 2
    shown = [BLOCK.findall(llama.prompt(i))[-1] for i in (0, 1)]
    assert shown[0] == (pair.output_1.strip(), pair.output_2.strip())
    assert shown[1] == (pair.output_2.strip(), pair.output_1.strip())


def dspy_context(lm):
    import dspy

    from workbench.programs.adapter import LenientChatAdapter

    return dspy.context(lm=lm, adapter=LenientChatAdapter())


def test_optimize_judge_reports_held_out_accuracy_before_and_after_and_saves_the_demos(tmp_path, settings):
    import dspy

    from workbench.llama_engine import AsyncLlamaCppEngine, LlamaCppEngine

    engine = LlamaCppEngine("scripted.gguf", llama=BiasedUntilShownLlama(), n_ctx=1 << 16)  # tokens are bytes here
    lm = dspy.LM("local/scripted", engine=engine, async_engine=AsyncLlamaCppEngine(engine), cache=False,
                 temperature=0.0, max_tokens=64)

    s = optimize_judge(PAIRS, tmp_path / "out", lm=lm, train_size=8, demos=2, candidates=1,
                       save_to=tmp_path / "compiled", settings=settings, log=False, progress=False,
                       echo=lambda _: None)

    assert s["n_eval"] == 92 and s["n_train"] == 8
    assert s["accuracy_zero_shot"] == 0.5 and s["consistency_zero_shot"] == 0.0  # always "1": chance
    assert s["first_position_rate_zero_shot"] == 1.0
    assert s["accuracy_optimized"] == 1.0 and s["consistency_optimized"] == 1.0
    judge = PairwiseJudge()
    meta = load_compiled(judge, s["compiled"], program="pairwise-judge", version=VERSION, variant="predict")
    assert meta.baseline == 0.5 and meta.score == 1.0 and len(judge.compare.demos) == 2
