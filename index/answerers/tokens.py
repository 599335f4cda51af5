"""Prompt tokens counted by the serving model's own tokenizer (llama.cpp's /tokenize), else estimated."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import httpx
from llama_index.core.base.llms.types import ChatMessage

from ..config import LLMConfig

log = logging.getLogger(__name__)
TOKENIZE_TIMEOUT_S = 5.0  # a count is a loopback call: a slow one means the server is busy, so estimate
ESTIMATE_MARGIN = 1.25  # the estimate: another model's tokenizer (the embedding model's), plus a quarter
PER_MESSAGE = 4  # the estimate's allowance for each message's chat-template tokens
CACHE_TEXTS = 2048
FAULTS = (httpx.HTTPError, ValueError, KeyError, TypeError)  # down, slow, or an answer not as documented


def server_root(base_url: str) -> str:
    """llama.cpp serves /tokenize, /apply-template and /props beside /v1, not under it."""
    root = base_url.rstrip("/")
    return root.removesuffix("/v1")


class PromptCounter:
    """Counts a chat prompt's tokens as the endpoint will, when it says how.

    llama.cpp's server (llama-server, xllamacpp) has POST /tokenize with the model's own
    tokenizer, POST /apply-template with its chat template, and GET /props with its context
    size. OpenAI and Ollama have none of these: then the count is a labelled, conservative
    estimate (the embedding model's tokenizer + 25% + PER_MESSAGE a message). Which one is
    used is logged once, when the endpoint first answers the probe.
    """

    def __init__(self, config: LLMConfig, estimate: Callable[[str], int]) -> None:
        self._root = server_root(config.base_url)
        key = config.api_key()
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._timeout = min(config.timeout_s, TOKENIZE_TIMEOUT_S)
        self._estimate_text = estimate
        self._lock = threading.Lock()
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._overheads: dict[tuple[str, ...], int] = {}
        self.exact: bool | None = None  # None until the endpoint answered the probe
        self.n_ctx: int | None = None  # the server's context per slot, when it says

    def __call__(self, messages: Sequence[ChatMessage]) -> int:
        if self._probe():
            try:
                return self._overhead(messages) + sum(self._tokens(m.content or "") for m in messages)
            except FAULTS as exc:  # this count only: the next one asks the server again
                log.debug("cannot count with the server's tokenizer (%s): estimated", type(exc).__name__)
        return self.estimate(messages)

    def estimate(self, messages: Sequence[ChatMessage]) -> int:
        """The conservative estimate used when the endpoint has no tokenizer."""
        return int(sum(self._estimate_text(m.content or "") + PER_MESSAGE for m in messages)
                   * ESTIMATE_MARGIN)

    def window(self, configured: int) -> int:
        """The context the prompt and answer share: `[llm] context_window`, or less if the server has less."""
        self._probe()
        return min(configured, self.n_ctx) if self.n_ctx else configured

    def _probe(self) -> bool:
        """Whether the server counts; asked until it answers (a server that is down is not 'no tokenizer')."""
        if self.exact is not None:
            return self.exact
        with self._lock:
            if self.exact is None:
                self._ask_server()
        return bool(self.exact)

    def _ask_server(self) -> None:
        try:
            response = self._post("/tokenize", {"content": "probe"})
        except httpx.TransportError as exc:
            log.debug("the endpoint did not answer the tokenizer probe (%s)", type(exc).__name__)
            return
        if response.status_code == 200 and isinstance(response.json().get("tokens"), list):
            self.exact = True
            self.n_ctx = self._server_n_ctx()
            log.info("prompt tokens are counted by the serving model's tokenizer (%s/tokenize); "
                     "its context per slot: %s", self._root, self.n_ctx or "not given")
        elif response.status_code < 500 and response.status_code != 429:
            self.exact = False
            log.warning("the endpoint has no tokenizer (HTTP %s at %s/tokenize): prompt tokens are an "
                        "ESTIMATE (the embedding model's tokenizer + %d%% + %d a message)",
                        response.status_code, self._root, round((ESTIMATE_MARGIN - 1) * 100), PER_MESSAGE)

    def _server_n_ctx(self) -> int | None:
        try:
            response = httpx.get(self._root + "/props", headers=self._headers, timeout=self._timeout)
            n_ctx = response.json()["default_generation_settings"]["n_ctx"] if response.is_success else None
        except FAULTS:
            return None
        return int(n_ctx) if n_ctx else None

    def _tokens(self, text: str) -> int:
        with self._lock:
            if text in self._counts:
                self._counts.move_to_end(text)
                return self._counts[text]
        count = self._tokenize(text)
        with self._lock:
            self._counts[text] = count
            if len(self._counts) > CACHE_TEXTS:
                self._counts.popitem(last=False)
        return count

    def _tokenize(self, text: str, special: bool = False) -> int:
        response = self._post("/tokenize", {"content": text, "add_special": special,
                                            "parse_special": special})
        response.raise_for_status()
        return len(response.json()["tokens"])

    def _overhead(self, messages: Sequence[ChatMessage]) -> int:
        """The chat template's own tokens for these roles: the template applied to empty messages."""
        roles = tuple(str(m.role.value) for m in messages)
        if roles not in self._overheads:
            empty = [{"role": role, "content": ""} for role in roles]
            try:
                response = self._post("/apply-template", {"messages": empty})
                response.raise_for_status()
                overhead = self._tokenize(response.json()["prompt"], special=True)
            except httpx.HTTPStatusError:  # an older server without /apply-template
                overhead = PER_MESSAGE * len(roles)
            self._overheads[roles] = overhead
        return self._overheads[roles]

    def _post(self, path: str, body: dict) -> httpx.Response:
        return httpx.post(self._root + path, json=body, headers=self._headers, timeout=self._timeout)
