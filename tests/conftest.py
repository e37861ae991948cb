"""Shared fixtures: real benchmark data paths, isolated settings, and a recorded-response llama."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

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


SCIFACT = DATA / "scifact"
SAMPLE_QUERIES = 30
SAMPLE_DISTRACTORS = 170


@pytest.fixture(scope="session")
def scifact_sample() -> tuple[Any, list[Any], dict[str, dict[str, int]]]:
    """A fixed SciFact sample: the first 30 judged queries, their relevant documents and 170 other documents."""
    from workbench.evaluation.beir import load_qrels, load_queries
    from workbench.retrieval.corpus import Corpus

    full = Corpus.from_beir(SCIFACT)
    qrels = load_qrels(SCIFACT / "qrels" / "train.tsv")
    queries = [q for q in load_queries(SCIFACT / "queries.jsonl") if q.id in qrels][:SAMPLE_QUERIES]
    wanted = {doc for q in queries for doc in qrels[q.id]}
    others = [d.id for d in full.documents if d.id not in wanted][:SAMPLE_DISTRACTORS]
    keep = wanted | set(others)
    corpus = Corpus(d for d in full.documents if d.id in keep)
    return corpus, queries, {q.id: qrels[q.id] for q in queries}


@pytest.fixture(scope="session")
def scifact_index(scifact_sample: tuple[Any, list[Any], dict[str, dict[str, int]]]) -> Any:
    """A hybrid index over the SciFact sample (built once per test session, with the real MiniLM)."""
    from workbench.retrieval.index import HybridIndex, RetrievalConfig

    return HybridIndex.build(scifact_sample[0], RetrievalConfig(), progress=False)
