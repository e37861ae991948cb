"""The llama.cpp engine: a GGUF model run in process by llama-cpp-python, as a DSPy engine.

``LlamaCppEngine`` fulfils DSPy 3.4's custom-engine contract
(``complete(Request) -> Response``); ``AsyncLlamaCppEngine`` is its async face.
``workbench.lm.load_lm`` wraps both in a ``dspy.LM`` for local models. Each
generation is reported to the current trace as an ``lm_call`` event.

One model is loaded per (file, context, threads, batch, slot) and shared by
every engine in the process; its lock serialises calls. Evaluated prompt
prefixes are kept in a ``PrefixCache`` (``workbench.prefix_cache``) and reused
in whole ``n_batch`` blocks, so output does not depend on call history. While
a trace is current, the text being generated streams to its listeners as
transient ``lm_token`` events.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import InputError
from workbench.prefix_cache import PrefixCache
from workbench.tracing import TRACE_TEXT_CHARS, current_trace, trace_prompt

if TYPE_CHECKING:
    from dspy.lm15 import Request, Response


@dataclass
class EngineStats:
    """Running totals of one engine's calls (cache hits never reach the engine)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    seconds: float = 0.0
    truncated: int = 0
    cached_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, input_tokens: int, output_tokens: int, seconds: float, truncated: bool, cached: int = 0) -> None:
        """Record one finished call (``cached``: prompt tokens whose evaluated state was reused)."""
        with self._lock:
            self.cached_tokens += cached
            self.calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            self.seconds += seconds
            self.truncated += int(truncated)


class _TruncationRecorded(logging.Filter):
    """Drops DSPy's "LM response was truncated" warning: for local models the engine records truncation
    itself (``EngineStats.truncated`` and the ``truncated`` flag of each ``lm_call`` trace event), and the
    programs handle a cut-off answer (an unusable plan falls back to the router, and the trace says so)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("LM response was truncated")


def _quiet_truncation_warnings() -> None:
    logger = logging.getLogger("dspy.clients.lm")
    if not any(isinstance(f, _TruncationRecorded) for f in logger.filters):
        logger.addFilter(_TruncationRecorded())


_loaded: dict[tuple[str, int, int, int, str], tuple[Any, threading.Lock, PrefixCache]] = {}
_loaded_lock = threading.Lock()


def _shared_llama(path: str, n_ctx: int, n_threads: int, n_batch: int, slot: str = "",
                  prefix_cache_mb: int = 0) -> tuple[Any, threading.Lock, PrefixCache]:
    """One llama.cpp model per (file, context, threads, batch, slot) per process, with the lock that serialises
    it and its cache of evaluated prompt prefixes. Each slot is a context of its own (the weights are
    memory-mapped once)."""
    key = (path, n_ctx, n_threads, n_batch, slot)
    with _loaded_lock:
        if key not in _loaded:
            from llama_cpp import Llama

            llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch, verbose=False)
            _loaded[key] = (llama, threading.Lock(), PrefixCache(n_batch, max_bytes=prefix_cache_mb << 20))
        return _loaded[key]


class LlamaCppEngine:
    """DSPy engine that runs a GGUF model in process with llama-cpp-python.

    The model's own chat template (from the GGUF metadata) formats the
    conversation. ``temperature``, ``max_tokens``, ``top_p``, ``stop`` and
    ``seed`` from the request are honoured; generation stops at
    ``timeout_s`` and the response is then marked ``finish_reason="length"``.
    llama.cpp contexts are not thread-safe, so calls on one model are
    serialised by a lock: any number of threads may call ``complete``.

    Prompt caching is reproducible: a prefix shared with an earlier prompt
    (the one the context holds, or one saved in the slot's ``PrefixCache``)
    is reused only in whole blocks of ``n_batch`` tokens, so every prompt is
    evaluated in the same batches as on a fresh model and the output does not
    depend on which prompts came before. Callers that run concurrently with
    very different prompts (the supervisor's answer writer and the text2sql
    agent, say) use different ``slot``s, each a model context of its own.

    Args:
        model_path: The ``.gguf`` file.
        n_ctx: Context window in tokens.
        n_threads: CPU threads.
        n_batch: Prompt tokens evaluated per batch; also the granularity of prefix reuse.
        timeout_s: Wall-clock limit of one generation.
        slot: Which cached model instance to use ("" is the default one).
        prefix_cache_mb: Most megabytes of saved prompt prefixes kept for the slot (0: only the live one).
        prefill: When a DSPy chat-adapter prompt names the reply's first field (``[[ ## sql ## ]]``), put that
            header in the prompt instead of generating it, and stop at the ``[[ ## completed ## ]]`` marker
            instead of generating it: about 12 fewer generated tokens per call (the reply text is the same).
        llama: An already-built ``llama_cpp.Llama`` (or a stand-in with its
            ``tokenize``/``create_completion``); loaded lazily from ``model_path`` when None.
    """

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 4096,
        n_threads: int = 2,
        n_batch: int = 64,
        timeout_s: float = 120.0,
        slot: str = "",
        prefix_cache_mb: int = 512,
        prefill: bool = True,
        llama: Any = None,
    ) -> None:
        self.model_path = str(model_path)
        self.slot = slot
        self.prefix_cache_mb = prefix_cache_mb
        self.prefill = prefill
        _quiet_truncation_warnings()
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.n_batch = n_batch
        self.timeout_s = timeout_s
        self.stats = EngineStats()
        self._llama = llama
        self._lock = threading.Lock() if llama is not None else None
        # a stand-in llama has no context to save: its prefix cache only cuts the live prefix to whole blocks
        self._cache = PrefixCache(n_batch, max_bytes=0) if llama is not None else None
        self._formatter: Any = None

    def __repr__(self) -> str:
        return f"LlamaCppEngine({Path(self.model_path).name!r}, n_ctx={self.n_ctx}, n_threads={self.n_threads})"

    def _model(self) -> tuple[Any, threading.Lock]:
        if self._llama is None:
            self._llama, self._lock, self._cache = _shared_llama(
                self.model_path, self.n_ctx, self.n_threads, self.n_batch, self.slot, self.prefix_cache_mb)
        assert self._lock is not None
        return self._llama, self._lock

    @property
    def prefix_cache(self) -> PrefixCache:
        """The cache of evaluated prompt prefixes of this engine's model context (shared by its slot)."""
        self._model()
        assert self._cache is not None
        return self._cache

    def format_prompt(self, messages: list[dict[str, str]]) -> tuple[list[int], list[str]]:
        """Prompt tokens and stop strings for chat ``messages``, by the model's own chat template."""
        llama, _ = self._model()
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                raise InputError(f"{self.model_path} has no chat template in its GGUF metadata; use a chat model.")
            eos = llama.token_eos()
            self._formatter = Jinja2ChatFormatter(
                template=template, eos_token=_token_text(llama, eos), bos_token=_token_text(llama, llama.token_bos()),
                stop_token_ids=[eos],
            )
        result = self._formatter(messages=messages)
        tokens = llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        stops = [] if result.stop is None else [result.stop] if isinstance(result.stop, str) else list(result.stop)
        return tokens, stops

    def complete(self, request: Request) -> Response:
        """Generate one chat completion for a DSPy ``Request``."""
        from dspy.clients.engines.base import validate_request
        from dspy.lm15 import ContextLengthError, Message, Response, Usage
        from llama_cpp import LogitsProcessorList

        validate_request(request)
        config = request.config
        llama, lock = self._model()
        messages = _chat_messages(request)
        tokens, stops = self.format_prompt(messages)
        prefill = _first_field_header(messages) if self.prefill else ""
        if prefill:  # the reply's first header is known: it is part of the prompt, not generated
            tokens = tokens + llama.tokenize(prefill.encode("utf-8"), add_bos=False, special=False)
            stops = [*stops, _COMPLETED_MARKER]
        if len(tokens) >= self.n_ctx:
            raise ContextLengthError(
                f"The prompt has {len(tokens)} tokens; the context window is {self.n_ctx}. "
                "Shorten the prompt (e.g. a smaller schema) or raise WORKBENCH_LM_CONTEXT."
            )
        timed_out = threading.Event()
        options: dict[str, Any] = {
            "prompt": tokens,
            "temperature": 0.0 if config.temperature is None else config.temperature,
            "max_tokens": config.max_tokens,
            "stop": [*config.stop, *stops] or None,
        }
        if config.top_p is not None:
            options["top_p"] = config.top_p
        if config.seed is not None:
            options["seed"] = config.seed
        trace = current_trace()
        cache = self.prefix_cache
        with lock:  # the time limit counts generation only, not waiting for the model
            started = time.perf_counter()
            processors = [_deadline_processor(llama, time.monotonic() + self.timeout_s, timed_out)]
            if trace is not None:  # the text as it is generated, to the trace's listeners
                processors.append(_TokenStream(llama, len(tokens), trace, Path(self.model_path).stem))
            options["logits_processor"] = LogitsProcessorList(processors)
            cached = cache.prepare(llama, tokens)
            out = llama.create_completion(**options)
            cache.save(llama, tokens)
        seconds = time.perf_counter() - started
        choice = out["choices"][0]
        text = choice.get("text") or ""
        if prefill and not text.lstrip().startswith(prefill.strip()):  # (a model that writes the header again)
            text = prefill + text
        usage = out.get("usage") or {}
        truncated = timed_out.is_set() or choice.get("finish_reason") == "length"
        self.stats.add(usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), seconds, truncated, cached)
        self._report(seconds, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0), truncated,
                     prompt=messages, completion=text, cached_tokens=cached)
        return Response(
            id=out.get("id"),
            model=request.model,
            message=Message.assistant(text),
            finish_reason="length" if truncated else "stop",
            usage=Usage(input_tokens=usage.get("prompt_tokens"), output_tokens=usage.get("completion_tokens")),
        )

    def _report(self, seconds: float, prompt_tokens: int, completion_tokens: int, truncated: bool, *,
                prompt: list[dict[str, str]], completion: str, purpose: str = "complete",
                cached_tokens: int = 0) -> None:
        """Tell the current trace (``workbench.tracing.use_trace``), if any, about one finished call."""
        trace = current_trace()
        if trace is None:
            return
        trace.emit("lm_call", Path(self.model_path).stem, elapsed_ms=seconds * 1000, purpose=purpose,
                   prompt_tokens=prompt_tokens, cached_tokens=cached_tokens, completion_tokens=completion_tokens,
                   truncated=truncated, prompt=trace_prompt(prompt), completion=completion[:TRACE_TEXT_CHARS])

    def first_token_logprobs(self, messages: list[dict[str, str]], words: Sequence[str]) -> dict[str, float]:
        """Log-probability of each word's first token as the first token of the reply to chat ``messages``.

        One forward pass over the prompt and no sampling: the scores come from the logits the model
        computes for its first output token. Words the tokenizer cannot encode get ``-inf``.
        """
        import numpy as np
        from llama_cpp import LogitsProcessorList

        llama, lock = self._model()
        tokens, _ = self.format_prompt(messages)
        if len(tokens) >= self.n_ctx:
            from dspy.lm15 import ContextLengthError

            raise ContextLengthError(f"The prompt has {len(tokens)} tokens; the context window is {self.n_ctx}.")
        captured: list[Any] = []

        def capture(_input_ids: Any, scores: Any) -> Any:
            if not captured:
                captured.append(np.array(scores, dtype=np.float64, copy=True))
            return scores

        cache = self.prefix_cache
        with lock:
            started = time.perf_counter()
            cached = cache.prepare(llama, tokens)
            llama.create_completion(prompt=tokens, max_tokens=1, temperature=0.0,
                                    logits_processor=LogitsProcessorList([capture]))
            cache.save(llama, tokens)
        seconds = time.perf_counter() - started
        self.stats.add(len(tokens), 1, seconds, False, cached)
        self._report(seconds, len(tokens), 1, False, prompt=messages, completion="", purpose="score",
                     cached_tokens=cached)
        logits = captured[0]
        top = logits.max()
        logp = logits - (top + np.log(np.exp(logits - top).sum()))
        out = {}
        for word in words:
            ids = llama.tokenize(word.encode("utf-8"), add_bos=False, special=False)
            out[word] = float(logp[ids[0]]) if ids and ids[0] < len(logp) else float("-inf")
        return out

    def stream(self, request: Request) -> Iterator[Any]:
        """Stream events of one completion (generated whole, then replayed as events)."""
        from dspy.lm15 import response_to_events

        return response_to_events(self.complete(request))

    def close(self) -> None:
        """Nothing to release: loaded models are shared for the life of the process."""

    def dump_state(self) -> dict[str, Any]:
        """State DSPy saves with a program, so a saved program reloads this engine."""
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "n_threads": self.n_threads,
                "n_batch": self.n_batch, "timeout_s": self.timeout_s, "slot": self.slot,
                "prefix_cache_mb": self.prefix_cache_mb, "prefill": self.prefill}

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> LlamaCppEngine:
        """Rebuild an engine from ``dump_state`` output."""
        return cls(**state)


_FIRST_FIELD = re.compile(r"starting with the field `(\[\[ ## \w+ ## \]\])`")
_COMPLETED_MARKER = "[[ ## completed"


def _first_field_header(messages: list[dict[str, str]]) -> str:
    """The header DSPy's chat adapter asks the reply to start with (``"[[ ## sql ## ]]\n"``), or ''."""
    last = messages[-1]["content"] if messages and messages[-1].get("role") == "user" else ""
    match = _FIRST_FIELD.search(last[-600:])
    return f"{match.group(1)}\n" if match else ""


def _token_text(llama: Any, token: int) -> str:
    return "" if token < 0 else llama.detokenize([token], special=True).decode("utf-8", errors="ignore")


class AsyncLlamaCppEngine:
    """Async face of a ``LlamaCppEngine``: runs generation in a worker thread."""

    def __init__(self, sync: LlamaCppEngine) -> None:
        self.sync = sync

    async def complete(self, request: Request) -> Response:
        """Generate without blocking the event loop."""
        return await asyncio.to_thread(self.sync.complete, request)

    async def stream(self, request: Request) -> AsyncIterator[Any]:
        """Async stream of one completion's events."""
        from dspy.lm15 import response_to_events

        for event in response_to_events(await self.complete(request)):
            yield event

    async def aclose(self) -> None:
        """Nothing to release."""


def _chat_messages(request: Request) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    if request.system is not None:
        system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system)
        messages.append({"role": "system", "content": system})
    for message in request.messages:
        text = message.text
        if text is None:
            kinds = [type(p).__name__ for p in message.parts]
            raise ValueError(f"Local models take text messages only; got parts {kinds}")
        role = "user" if message.role == "developer" else message.role
        messages.append({"role": role, "content": text})
    return messages


class _TokenStream:
    """A logits processor that sends the text generated so far, as it grows, to ``trace`` as transient
    ``lm_token`` events. DSPy's field markers (``[[ ## answer ## ]]``) are left out, so listeners see the
    answer's words. It changes no logits."""

    _MARKER = re.compile(r"\[\[ ## \w+ ## \]\]\s*")
    # the start of a marker at the end of the text: "[", "[[", "[[ #", ... "[[ ## answer ## ]"
    _PARTIAL = re.compile(r"\[(?:\[(?: (?:#(?:#(?: (?:\w+(?: (?:#(?:#(?: \]?)?)?)?)?)?)?)?)?)?)?$")

    def __init__(self, llama: Any, n_prompt: int, trace: Any, model: str) -> None:
        import codecs

        self.llama, self.n_prompt, self.trace, self.model = llama, n_prompt, trace, model
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="ignore")
        self.seen = 0
        self.raw = ""
        self.sent = 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        new = [int(t) for t in input_ids[self.n_prompt + self.seen:]]
        if new:
            self.seen += len(new)
            self.raw += self.decoder.decode(self.llama.detokenize(new))
            visible = self._MARKER.sub("", self.raw)
            partial = self._PARTIAL.search(visible)  # a marker still being written waits until it is complete
            shown = visible[: partial.start()] if partial else visible
            if len(shown) > self.sent:
                self.trace.notify("lm_token", self.model, text=shown[self.sent:], tokens=self.seen)
                self.sent = len(shown)
        return scores


def _deadline_processor(llama: Any, deadline: float, timed_out: threading.Event) -> Any:
    """A logits processor that forces end-of-generation once ``deadline`` (monotonic) has passed."""
    eos = llama.token_eos()

    def force_end_after_deadline(_input_ids: Any, scores: Any) -> Any:
        if time.monotonic() > deadline:
            timed_out.set()
            scores[:] = -float("inf")
            scores[eos] = 0.0
        return scores

    return force_end_after_deadline
