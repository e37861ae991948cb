"""Helpers the tests share: benchmark data paths, a file digest, and a recorded-response llama.

Import them as ``from common import recorded_lm, chat_answer`` (``tests/`` is on the path); fixtures stay in
``conftest.py``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SPIDER = DATA / "spider"
SCIFACT = DATA / "scifact"


def sha256(path: Path) -> str:
    """Digest of a file, to show a database is unchanged."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


CHATML = (
    "{% for message in messages %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class RecordedLlama:
    """Stands in for ``llama_cpp.Llama``: replays recorded completions and records each call.

    Tokens are the prompt's bytes. Like llama.cpp it remembers the last
    prompt's tokens (``input_ids``/``n_tokens``), so prefix reuse can be
    observed; it also detects overlapping calls.
    """

    metadata: ClassVar[dict[str, str]] = {"tokenizer.chat_template": CHATML}

    def __init__(self, texts: list[str] | str, *, delay_s: float = 0.0, prompt_tokens: int = 100,
                 logits: list[Any] | None = None) -> None:
        import numpy as np

        self.texts = [texts] if isinstance(texts, str) else list(texts)
        self.logits = list(logits or [])  # first-token logits (256 byte tokens) handed to logits processors
        self.delay_s = delay_s
        self.prompt_tokens = prompt_tokens
        self.calls: list[dict[str, Any]] = []
        self.reused: list[int] = []  # n_tokens kept from the previous prompt, per call
        self.overlapped = False
        self.n_tokens = 0
        self.input_ids = np.zeros(1 << 16, dtype=np.intc)
        self._inside = threading.Lock()

    def token_eos(self) -> int:
        return 2

    def token_bos(self) -> int:
        return 1

    def detokenize(self, tokens: list[int], special: bool = False) -> bytes:
        return b"".join({1: b"<s>", 2: b"<|im_end|>"}.get(t, bytes([t])) for t in tokens)

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(data)

    def prompt(self, call: int = -1) -> str:
        """The text of a recorded call's prompt."""
        return bytes(self.calls[call]["prompt"]).decode()

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        if not self._inside.acquire(blocking=False):
            self.overlapped = True
            self._inside.acquire()
        try:
            self.calls.append(kwargs)
            self.reused.append(self.n_tokens)
            prompt = kwargs["prompt"]
            self.input_ids[: len(prompt)] = prompt
            self.n_tokens = len(prompt)
            if self.delay_s:
                time.sleep(self.delay_s)
            if self.logits and kwargs.get("logits_processor"):
                scores = self.logits[min(len(self.calls), len(self.logits)) - 1].copy()
                for processor in kwargs["logits_processor"]:
                    scores = processor(self.input_ids[: len(prompt)], scores)
            text = self.texts[min(len(self.calls), len(self.texts)) - 1]
            return {
                "id": f"recorded-{len(self.calls)}",
                "choices": [{"text": text, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": len(text.split()),
                          "total_tokens": self.prompt_tokens + len(text.split())},
            }
        finally:
            self._inside.release()


def recorded_lm(texts: list[str] | str, *, cache: bool = False, **kwargs: Any) -> tuple[Any, RecordedLlama]:
    """A ``dspy.LM`` on a ``LlamaCppEngine`` whose model replays ``texts``."""
    import dspy

    from workbench.llama_engine import AsyncLlamaCppEngine, LlamaCppEngine

    llama = RecordedLlama(texts, **kwargs)
    engine = LlamaCppEngine("recorded.gguf", llama=llama)
    lm = dspy.LM("local/recorded", engine=engine, async_engine=AsyncLlamaCppEngine(engine), cache=cache,
                 temperature=0.0, max_tokens=256)
    return lm, llama


def chat_answer(**fields: str) -> str:
    """A completion in DSPy's chat-adapter format, as the local models write it."""
    body = "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items())
    return body + "[[ ## completed ## ]]"
