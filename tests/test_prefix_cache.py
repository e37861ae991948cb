"""Which saved prompt prefix the cache restores, how much it keeps, and what it forgets (no model: the llama.cpp
state copy is replaced by a record of the tokens)."""

from __future__ import annotations

import numpy as np
import pytest

import workbench.prefix_cache as prefix_cache
from workbench.prefix_cache import PrefixCache, common_prefix


class Context:
    """A llama.cpp context reduced to what the cache touches: the evaluated tokens."""

    def __init__(self) -> None:
        self.input_ids = np.zeros(4096, dtype=np.intc)
        self.n_tokens = 0

        class Ctx:
            def kv_cache_seq_rm(_self, _seq: int, start: int, _end: int) -> bool:
                self.n_tokens = min(self.n_tokens, start)
                return True

        self._ctx = Ctx()

    def evaluate(self, tokens: list[int]) -> None:
        self.input_ids[: len(tokens)] = tokens
        self.n_tokens = len(tokens)


@pytest.fixture(autouse=True)
def _no_llama_state(monkeypatch):
    monkeypatch.setattr(prefix_cache, "_serialise", lambda llama: bytes(8 * int(llama.n_tokens)))

    def restore(llama, saved):
        llama.evaluate(list(saved.tokens))

    monkeypatch.setattr(prefix_cache, "_restore", restore)


def _call(cache: PrefixCache, llama: Context, tokens: list[int]) -> int:
    kept = cache.prepare(llama, tokens)
    llama.evaluate(tokens + [999] * 5)  # the prompt, then a completion
    cache.save(llama, tokens)
    return kept


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0


def test_a_prefix_evicted_by_another_prompt_is_restored_in_whole_blocks():
    cache, llama = PrefixCache(block=16, min_tokens=16), Context()
    schema_a, schema_b = list(range(100)), list(range(1000, 1100))
    assert _call(cache, llama, [*schema_a, 1, 2, 3]) == 0
    assert _call(cache, llama, [*schema_b, 1, 2, 3]) == 0
    assert _call(cache, llama, [*schema_a, 7, 8, 9]) == 96  # 100 shared tokens → 6 whole blocks
    assert cache.restores == 1 and cache.restored_tokens == 96


def test_the_last_prompt_token_is_always_evaluated_again():
    cache, llama = PrefixCache(block=16, min_tokens=16), Context()
    prompt = list(range(64))
    _call(cache, llama, prompt)
    assert _call(cache, llama, prompt) == 48  # not 64: the logits of the last token must be fresh


def test_a_longer_prefix_replaces_the_one_it_extends_and_memory_is_bounded():
    cache, llama = PrefixCache(block=16, min_tokens=16, max_bytes=8 * 200), Context()
    _call(cache, llama, list(range(40)))
    _call(cache, llama, list(range(80)))
    assert [len(k) for k in cache._saved] == [80]
    _call(cache, llama, list(range(500, 700)))  # 192 tokens: 1,536 bytes, the 80 no longer fit beside it
    assert [len(k) for k in cache._saved] == [192]
    assert cache.nbytes <= cache.max_bytes


def test_short_prompts_and_a_zero_budget_are_not_saved():
    llama = Context()
    cache = PrefixCache(block=16, min_tokens=128)
    _call(cache, llama, list(range(100)))
    assert len(cache) == 0
    off = PrefixCache(block=16, max_bytes=0)
    _call(off, llama, list(range(400)))
    assert len(off) == 0
