"""Optimising the pairwise judge: held-out pairs in both orders before and after, with a scripted LM."""

from __future__ import annotations

import re
from typing import Any

from conftest import DATA, RecordedLlama, chat_answer

from workbench.evaluation.judge_eval import load_pairs
from workbench.optimize.judge import both_orders, optimize_judge
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


def test_both_orders_gives_every_pair_twice_with_the_label_following_the_output():
    pair = load_pairs(PAIRS)[0]
    first, second = both_orders([pair])
    assert (first.output_1, first.better) == (pair.output_1, str(pair.label))
    assert (second.output_1, second.better) == (pair.output_2, str(3 - pair.label))


def test_optimize_judge_reports_held_out_accuracy_before_and_after_and_saves_the_demos(tmp_path, settings):
    import dspy

    from workbench.lm import AsyncLlamaCppEngine, LlamaCppEngine

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
