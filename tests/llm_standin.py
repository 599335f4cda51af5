"""A scripted OpenAI-compatible endpoint on 127.0.0.1 (aiohttp) replaying canned chat completions."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from aiohttp import web

KEY = "sk-standin-0123456789abcdef"


@dataclass
class Reply:
    """One scripted answer: text (or a function of the prompt), or an HTTP status, or a stream cut short."""

    text: str | Callable[[str], str] = ""
    status: int = 200
    cut: bool = False  # stream half the tokens, then drop the connection
    delay: float = 0.0  # seconds before the first byte
    retry_after: str = "0"
    pace: float = 0.0  # seconds between streamed tokens


@dataclass
class LLMStandIn:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[dict] = field(default_factory=list)  # each: {"body": ..., "auth": ...}
    base_url: str = ""

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def prompt(self, i: int = -1) -> str:
        """The text of request i's messages, joined."""
        return "\n".join(m["content"] for m in self.requests[i]["body"]["messages"])

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append({"body": body, "auth": request.headers.get("Authorization", "")})
        if not self.replies:
            return web.json_response({"error": {"message": "no reply scripted"}}, status=500)
        reply = self.replies.popleft()
        await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return web.json_response({"error": {"message": f"scripted {reply.status}", "type": "x"}},
                                     status=reply.status, headers={"Retry-After": reply.retry_after})
        prompt = "\n".join(m["content"] for m in body["messages"])
        text = reply.text(prompt) if callable(reply.text) else reply.text
        if not body.get("stream"):
            return web.json_response(_completion(text))
        return await self._stream(request, text, reply.cut, reply.pace)

    async def _stream(self, request: web.Request, text: str, cut: bool, pace: float) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        tokens = re.findall(r"\S+\s*", text) or [""]
        for i, token in enumerate(tokens):
            if cut and i >= len(tokens) // 2:
                request.transport.close()  # the connection drops mid-answer
                return response
            await response.write(_event(_chunk({"content": token}, None)))
            await asyncio.sleep(pace)
        await response.write(_event(_chunk({}, "stop")) + b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _completion(text: str) -> dict:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "standin",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _chunk(delta: dict, finish: str | None) -> dict:
    return {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "standin",
            "choices": [{"index": 0, "delta": {"role": "assistant", **delta}, "finish_reason": finish}]}


def _event(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


@contextmanager
def running() -> Iterator[LLMStandIn]:
    """The stand-in on its own event loop in a thread, so sync and async callers can both use it."""
    standin = LLMStandIn()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner: dict = {}

    async def start() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", standin._handle)
        runner["r"] = web.AppRunner(app, access_log=None)
        await runner["r"].setup()
        site = web.TCPSite(runner["r"], "127.0.0.1", 0)
        await site.start()
        standin.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1"
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()),
                              daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield standin
    finally:
        asyncio.run_coroutine_threadsafe(runner["r"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def number_of(prompt: str, headline: str) -> int:
    """The number the prompt gave the passage with this headline."""
    match = re.search(r"\[(\d+)\] " + re.escape(headline) + r" \(", prompt)
    assert match, f"no passage {headline!r} in the prompt"
    return int(match.group(1))
