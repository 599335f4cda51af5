"""Answers written by a model behind an OpenAI-compatible endpoint, every citation checked.

The extractive answer is worked out first: it gates the call (nothing near the question,
no call), and it is what the user gets when the model is unavailable or nothing it wrote
survives the check.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import LLM
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.utils import get_tokenizer

from ..config import LLMConfig
from ..errors import ConfigError
from ..schema import Answer, Synthesis, post_ids
from .base import CoverageSynthesizer
from .checking import Checked, CitationChecker
from .prompts import CONDENSE_TEMPLATE, QA_TEMPLATE, history_text, qa_messages
from .tokens import PromptCounter

log = logging.getLogger(__name__)
UNAVAILABLE = "The model was unavailable, so this answer is quoted from the coverage."
MODEL_SAID_NOT = "The passages found do not answer it."


class StreamCut(Exception):
    """The stream ended before the model finished (no finish_reason), or ran past timeout_s."""


def make_llm(config: LLMConfig) -> LLM:
    """LlamaIndex's OpenAILike client for the endpoint; the key from the environment only."""
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError:
        raise ConfigError("[answer] backend = \"llm\" needs llama-index-llms-openai-like: "
                          "run `make install` (or pip install '.[llm]')") from None
    return OpenAILike(
        model=config.model, api_base=config.base_url, is_chat_model=True,
        api_key=config.api_key() or "no-key",  # local servers take any; the client insists on one
        timeout=config.timeout_s, max_retries=config.max_retries, max_tokens=config.max_tokens,
        temperature=config.temperature, context_window=config.context_window,
    )


def faults() -> tuple[type[BaseException], ...]:
    """What an unavailable or failing endpoint raises: answered with the extractive answer."""
    import openai

    return (openai.APIError, httpx.HTTPError, StreamCut, TimeoutError)


class LLMSynthesizer(CoverageSynthesizer):
    """The model answers from numbered passages; the extractive synthesizer gates it and stands in."""

    def __init__(self, llm: LLM, extractive: CoverageSynthesizer, config: LLMConfig,
                 checker: CitationChecker, extractive_top_n: int) -> None:
        super().__init__(llm=llm)
        self._extractive = extractive
        self._config = config
        self._checker = checker
        self._top_n = extractive_top_n
        self._qa = QA_TEMPLATE
        self._slots = threading.BoundedSemaphore(config.max_concurrent)
        # The serving model's tokenizer when the endpoint has one; else an estimate with the
        # embedding model's (index.embedding sets LlamaIndex's tokenizer to it).
        self._count = PromptCounter(config, lambda text: len(get_tokenizer()(text)))

    def _get_prompts(self) -> dict:
        return {"qa_template": self._qa}

    def _update_prompts(self, prompts: dict) -> None:
        self._qa = prompts.get("qa_template", self._qa)

    def synthesis(self, query: QueryBundle, nodes: list[NodeWithScore]) -> Synthesis:
        base = self._extractive.synthesis(query, nodes[: self._top_n])
        if not self._worth_asking(base):
            return base
        passages, messages = self._messages(query, nodes)
        try:
            with self._slots:
                output = self._stream(messages, _on_token(query))
        except faults() as exc:
            return self._unavailable(base, exc)
        return self._checked(base, self._checker.check(output, passages), passages)

    async def asynthesis(self, query: QueryBundle, nodes: list[NodeWithScore]) -> Synthesis:
        base = await asyncio.to_thread(self._extractive.synthesis, query, nodes[: self._top_n])
        if not self._worth_asking(base):
            return base
        passages, messages = await asyncio.to_thread(self._messages, query, nodes)  # counting may call out
        await asyncio.to_thread(self._slots.acquire)
        try:
            output = await self._astream(messages, _on_token(query))
        except faults() as exc:
            return self._unavailable(base, exc)
        finally:
            self._slots.release()
        checked = await asyncio.to_thread(self._checker.check, output, passages)
        return self._checked(base, checked, passages)

    def condense(self, question: str, history: Sequence[Answer]) -> str | None:
        """The follow-up as a standalone question, by the model; None when it fails (use the rules)."""
        try:
            with self._slots:
                out = self._llm.predict(CONDENSE_TEMPLATE, question=question,
                                        chat_history=history_text(history, self._config.history_turns))
        except faults() as exc:
            log.warning("condensing by the model failed (%s); the rule-based rewrite is used", _why(exc))
            return None
        out = " ".join(out.split())
        return out if 0 < len(out) <= 4 * len(question) + 200 else None

    def _worth_asking(self, base: Synthesis) -> bool:
        # The gate: a question no passage comes near (confidence 0 by the extractive guards)
        # is answered "does not say" without a call: no cost, nothing made up from nothing.
        return base.confidence > self._config.min_confidence

    def _messages(self, query: QueryBundle, nodes: list[NodeWithScore]
                  ) -> tuple[list[NodeWithScore], list[ChatMessage]]:
        cfg = self._config
        budget = self._count.window(cfg.context_window) - cfg.max_tokens
        given = nodes[: cfg.max_passages]
        chosen, messages = qa_messages(self._qa, query.query_str, given, _history(query),
                                       cfg.history_turns, budget, self._count)
        if log.isEnabledFor(logging.DEBUG):  # the count may be a call to the server
            log.debug("prompt: %d of %d passages, %d tokens (%s) of a budget of %d", len(chosen), len(given),
                      self._count(messages), "counted" if self._count.exact else "estimated", budget)
        return chosen, messages

    def _stream(self, messages: list[ChatMessage], on_token: Callable[[str], None] | None) -> str:
        deadline = time.monotonic() + self._config.timeout_s
        text, finished = "", None
        for chunk in self._llm.stream_chat(messages):
            text, finished = _step(chunk, text, finished, deadline, on_token)
        return _finished(text, finished)

    async def _astream(self, messages: list[ChatMessage], on_token: Callable[[str], None] | None) -> str:
        deadline = time.monotonic() + self._config.timeout_s
        text, finished = "", None
        async for chunk in await self._llm.astream_chat(messages):
            text, finished = _step(chunk, text, finished, deadline, on_token)
        return _finished(text, finished)

    def _unavailable(self, base: Synthesis, exc: BaseException) -> Synthesis:
        log.warning("the model was unavailable (%s): the extractive answer is given", _why(exc))
        return _with(base, note=UNAVAILABLE)

    def _checked(self, base: Synthesis, checked: Checked, passages: list[NodeWithScore]) -> Synthesis:
        for sentence, why in checked.dropped:
            log.info("dropped from the model's answer (%s): %.200s", why, sentence)
        if checked.abstained:
            return Synthesis.abstain(MODEL_SAID_NOT, retrieved=post_ids(passages),
                                     confidence=base.confidence, signals=base.signals)
        if not checked.cited:
            log.warning("nothing the model wrote survived the citation check (%d sentences dropped): "
                        "the extractive answer is given", len(checked.dropped))
            return base
        return Synthesis(text=checked.text, abstained=False, cited=checked.cited, retrieved=base.retrieved,
                         confidence=base.confidence, signals=base.signals)


def _step(chunk: Any, text: str, finished: str | None, deadline: float,
          on_token: Callable[[str], None] | None) -> tuple[str, str | None]:
    if time.monotonic() > deadline:
        raise StreamCut("the answer took longer than timeout_s")
    delta = chunk.delta or ""
    if delta and on_token is not None:
        on_token(delta)
    choices = getattr(chunk.raw, "choices", None) or []
    reason = getattr(choices[0], "finish_reason", None) if choices else None
    return text + delta, reason or finished


def _finished(text: str, finished: str | None) -> str:
    if finished is None:
        raise StreamCut("the stream ended before the model finished")
    return text


def _on_token(query: QueryBundle) -> Callable[[str], None] | None:
    return getattr(query, "on_token", None)


def _history(query: QueryBundle) -> Sequence[Answer]:
    return getattr(query, "history", ()) or ()


def _with(base: Synthesis, **changes: Any) -> Synthesis:
    return dataclasses.replace(base, **changes)


def _why(exc: BaseException) -> str:
    """One line naming the fault; the status code when there is one (never the request)."""
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    return f"{name}, HTTP {status}" if status else f"{name}: {str(exc)[:200]}"
