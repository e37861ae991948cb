"""Shared fixtures: real benchmark data paths, isolated settings, and a recorded-response llama."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import workbench

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SPIDER = DATA / "spider"


@pytest.fixture
def spider_db(tmp_path: Path) -> Path:
    """A private copy of Spider's concert_singer SQLite database."""
    target = tmp_path / "concert_singer.sqlite"
    shutil.copy(SPIDER / "database" / "concert_singer" / "concert_singer.sqlite", target)
    return target


@pytest.fixture
def settings(tmp_path: Path) -> workbench.Settings:
    """Settings whose MLflow store lives in a temporary folder; the model cache stays shared."""
    return workbench.Settings.from_env(home=tmp_path)


def sha256(path: Path) -> str:
    """Digest of a file, to show a database is unchanged."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class RecordedLlama:
    """Stands in for ``llama_cpp.Llama``: replays recorded completions and records each call.

    Detects overlapping calls, so tests can show the engine serialises access.
    """

    def __init__(self, texts: list[str] | str, *, delay_s: float = 0.0, prompt_tokens: int = 100) -> None:
        self.texts = [texts] if isinstance(texts, str) else list(texts)
        self.delay_s = delay_s
        self.prompt_tokens = prompt_tokens
        self.calls: list[dict[str, Any]] = []
        self.overlapped = False
        self._inside = threading.Lock()

    def token_eos(self) -> int:
        return 0

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        if not self._inside.acquire(blocking=False):
            self.overlapped = True
            self._inside.acquire()
        try:
            self.calls.append(kwargs)
            if self.delay_s:
                time.sleep(self.delay_s)
            text = self.texts[min(len(self.calls), len(self.texts)) - 1]
            return {
                "id": f"recorded-{len(self.calls)}",
                "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": self.prompt_tokens, "completion_tokens": len(text.split()),
                          "total_tokens": self.prompt_tokens + len(text.split())},
            }
        finally:
            self._inside.release()


def recorded_lm(texts: list[str] | str, *, cache: bool = False, **kwargs: Any) -> tuple[Any, RecordedLlama]:
    """A ``dspy.LM`` on a ``LlamaCppEngine`` whose model replays ``texts``."""
    import dspy

    from workbench.lm import AsyncLlamaCppEngine, LlamaCppEngine

    llama = RecordedLlama(texts, **kwargs)
    engine = LlamaCppEngine("recorded.gguf", llama=llama)
    lm = dspy.LM("local/recorded", engine=engine, async_engine=AsyncLlamaCppEngine(engine), cache=cache,
                 temperature=0.0, max_tokens=256)
    return lm, llama


def chat_answer(**fields: str) -> str:
    """A completion in DSPy's chat-adapter format, as the local models write it."""
    body = "".join(f"[[ ## {name} ## ]]\n{value}\n\n" for name, value in fields.items())
    return body + "[[ ## completed ## ]]"
