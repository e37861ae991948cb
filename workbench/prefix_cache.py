"""Evaluated prompt prefixes kept between LM calls: a multi-slot state cache keyed by tokens.

A llama.cpp context holds the key/value state of one token sequence. Calls
that take turns with different prompts (the SQL writer on two databases, the
planner then the answer writer) each throw the other's prefix away, and the
next call evaluates it again at about 30 ms a token with the 1.5B model on
two cores. ``PrefixCache`` keeps copies of evaluated prefixes (the KV state
of sequence 0, without logits) and, before a call, restores the saved prefix
that shares the most whole ``block``-token batches with the new prompt when
that beats what the context already holds.

Prefixes are cut to whole ``block``-token batches, as the engine's live cache
is: the rest of the prompt is then evaluated in the same batches as on a fresh
context, so greedy output is byte-identical with and without the cache (a
test checks this with the real model). The cache holds at most ``max_bytes``;
the least recently used prefix goes first.
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SavedPrefix:
    """The KV state of ``tokens`` (a whole number of blocks) of sequence 0, as llama.cpp serialises it."""

    tokens: tuple[int, ...]
    state: bytes

    @property
    def nbytes(self) -> int:
        """Size of the saved state."""
        return len(self.state)


def common_prefix(a: Any, b: Any) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    same = np.asarray(a[:n]) == np.asarray(b[:n])
    return n if bool(same.all()) else int(same.argmin())


class PrefixCache:
    """Saved prompt prefixes of one llama.cpp context (see the module docstring).

    Args:
        block: The context's ``n_batch``: reusable prefixes are whole multiples of it.
        max_bytes: Most bytes of saved state kept (least recently used dropped first); 0 turns saving off.
        min_tokens: Prefixes shorter than this are not worth saving.
    """

    def __init__(self, block: int, max_bytes: int = 512 << 20, min_tokens: int = 128) -> None:
        self.block = block
        self.max_bytes = max_bytes
        self.min_tokens = max(min_tokens, block)
        self._saved: OrderedDict[tuple[int, ...], SavedPrefix] = OrderedDict()
        self._lock = threading.Lock()
        self.restored_tokens = 0
        self.restores = 0

    def __len__(self) -> int:
        return len(self._saved)

    @property
    def nbytes(self) -> int:
        """Bytes of saved state held now."""
        return sum(p.nbytes for p in self._saved.values())

    def reusable(self, cached: Any, tokens: list[int]) -> int:
        """How many tokens of ``tokens`` a context holding ``cached`` can keep: whole blocks of the common prefix,
        and never the whole prompt (its last token is evaluated again so the logits are fresh)."""
        common = common_prefix(cached, tokens)
        return min(common, len(tokens) - 1) // self.block * self.block

    def prepare(self, llama: Any, tokens: list[int]) -> int:
        """Make ``llama`` hold the longest reusable prefix of ``tokens`` (from its own state or a saved one);
        returns how many prompt tokens will not be evaluated again."""
        live = self.reusable(llama.input_ids[: int(llama.n_tokens)], tokens)
        best: SavedPrefix | None = None
        best_len = live
        with self._lock:
            for saved in self._saved.values():
                length = self.reusable(saved.tokens, tokens)
                if length > best_len:
                    best, best_len = saved, length
            if best is not None:
                self._saved.move_to_end(best.tokens)
        if best is not None:
            _restore(llama, best)
            self.restores += 1
            self.restored_tokens += best_len
        llama.n_tokens = best_len
        return best_len

    def save(self, llama: Any, tokens: list[int]) -> bool:
        """Save the whole blocks of ``tokens`` (the prompt just evaluated) that ``llama`` holds, unless a saved
        prefix already covers them; returns whether it saved. Drops the context's state after the prefix."""
        if self.max_bytes <= 0:
            return False
        length = self.reusable(llama.input_ids[: int(llama.n_tokens)], [*tokens, -1])
        if length < self.min_tokens:
            return False
        key = tuple(int(t) for t in tokens[:length])
        with self._lock:
            if any(len(k) >= length and k[:length] == key for k in self._saved):
                return False
        llama.n_tokens = length
        llama._ctx.kv_cache_seq_rm(-1, length, -1)
        saved = SavedPrefix(key, _serialise(llama))
        with self._lock:
            for k in [k for k in self._saved if len(k) < length and key[: len(k)] == k]:
                del self._saved[k]  # the new prefix extends it
            self._saved[key] = saved
            while self._saved and self.nbytes > self.max_bytes:
                self._saved.popitem(last=False)
        return True

    def clear(self) -> None:
        """Forget every saved prefix."""
        with self._lock:
            self._saved.clear()

    def __repr__(self) -> str:
        return f"PrefixCache({len(self)} prefixes, {self.nbytes / 2**20:.1f} MB, block {self.block})"


def _serialise(llama: Any) -> bytes:
    """Sequence 0's KV state of ``llama``'s context."""
    import llama_cpp

    ctx = llama._ctx.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buffer = (ctypes.c_uint8 * int(size))()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
    return bytes(buffer[: int(written)])


def _restore(llama: Any, saved: SavedPrefix) -> None:
    """Replace ``llama``'s context state by ``saved`` and record its tokens as evaluated."""
    import llama_cpp

    llama._ctx.kv_cache_seq_rm(-1, 0, -1)
    data = (ctypes.c_uint8 * len(saved.state)).from_buffer_copy(saved.state)
    if llama_cpp.llama_state_seq_set_data(llama._ctx.ctx, data, len(saved.state), 0) == 0:
        raise RuntimeError("llama.cpp refused a saved prompt prefix")
    n = len(saved.tokens)
    llama.input_ids[:n] = saved.tokens
    llama.n_tokens = n
