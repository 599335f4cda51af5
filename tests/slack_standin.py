"""A Slack Web API stand-in on 127.0.0.1: records every call, checks Block Kit limits, injects faults.

The real slack_sdk AsyncWebClient talks to it through `base_url`. It also serves Socket Mode:
apps.connections.open hands out its own ws:// URL, where the tests push envelopes and read acks.
Used by the tests and by bench/.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-4242-STANDIN-bot-token-do-not-log"
APP_TOKEN = "xapp-1-A0STANDIN-4242-app-token-do-not-log"
SIGNING_SECRET = "standin-signing-secret-do-not-log"
BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0TEAM01"
MAX_BLOCKS = 50
SECTION_CHARS = 3000
MAX_TEXT = 40_000
_APP_METHODS = {"apps.connections.open"}  # called with the app-level token, not the bot token
_POSTS = {"chat.postMessage", "chat.postEphemeral", "chat.update"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None


@dataclass
class Fault:
    status: int  # 429 or 500
    times: int
    retry_after: int = 0


@dataclass
class SlackStandIn:
    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # what chat.postMessage posted
    acks: list[dict[str, Any]] = field(default_factory=list)  # Socket Mode acks received
    responses: list[dict[str, Any]] = field(default_factory=list)  # what was posted to response_urls
    outside: set[str] = field(default_factory=set)  # channels the bot is not in
    delay: float = 0.0  # seconds each call waits, to simulate a slow API

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._faults: dict[str, deque[Fault]] = {}
        self._changed = asyncio.Event()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/response/{id}", self._response)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/api/"
        self.socket_url = f"ws://127.0.0.1:{port}/socket"
        return self.base_url

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner:
            await self._runner.cleanup()

    def response_url(self, request_id: str) -> str:
        """A command's or a click's response_url, here."""
        return self.base_url.removesuffix("api/") + f"response/{request_id}"

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append({"id": request.match_info["id"], **await request.json()})
        self._changed.set()
        return web.Response(text="ok")

    def fail(self, method: str, status: int, times: int = 1, retry_after: int = 0) -> None:
        """The next `times` calls of `method` get `status` (429 with Retry-After) and do nothing."""
        self._faults.setdefault(method, deque()).append(Fault(status, times, retry_after))

    # What the tests read.

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.status == 200 and c.result.get("ok")]

    def posted(self, channel: str | None = None, thread: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if (channel is None or m["channel"] == channel)
                and (thread is None or m.get("thread_ts") == thread)]

    def ephemeral(self, user: str | None = None) -> list[dict[str, Any]]:
        calls = self.called("chat.postEphemeral")
        return [c.params for c in calls if user is None or c.params["user"] == user]

    async def wait_for(self, condition: Any, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the app did not make the expected calls in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))
            except TimeoutError:
                pass

    async def quiet(self, seconds: float) -> None:
        """Let the app run for a while, to show it does nothing more."""
        await asyncio.sleep(seconds)

    # Socket Mode.

    async def push(self, payload: dict[str, Any], kind: str = "events_api", retry_attempt: int = 0,
                   envelope_id: str | None = None) -> str:
        """An envelope to the connected app; returns its envelope_id."""
        envelope_id = envelope_id or f"env-{next(self._ts)}"
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": retry_attempt, "retry_reason": "timeout" if retry_attempt else ""}
        await self.wait_for(lambda: bool(self._sockets), 30)
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1,
                                      "connection_info": {"app_id": "A0STANDIN"}}))
        self._changed.set()
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(msg.data))
                    self._changed.set()
        finally:
            self._sockets.remove(ws)
        return ws

    # The Web API.

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        call = Call(method, params, time.monotonic())
        self.calls.append(call)
        try:
            fault = self._fault(method)
            if fault:
                call.status, call.result = fault.status, {"ok": False, "error": "ratelimited"}
                headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else {}
                return web.json_response(call.result, status=fault.status, headers=headers)
            call.result = self._handle(method, params, _token(request, params))
            return web.json_response(call.result)
        finally:
            self._changed.set()

    def _fault(self, method: str) -> Fault | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        return fault

    def _handle(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        expected = self.app_token if method in _APP_METHODS else self.bot_token
        if token != expected:
            return {"ok": False, "error": "invalid_auth"}
        if method in _POSTS and (problem := check_message(params)):
            return {"ok": False, "error": problem}
        if method in _POSTS and params.get("channel") in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(params)

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://standin.slack.test/", "team": "Stand-in", "user": "coverage",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        ts = self.next_ts()
        message = {**params, "ts": ts, "user": BOT_USER, "bot_id": BOT_ID}
        self.messages.append(message)
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self.next_ts()}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if (message["channel"], message["ts"]) == (params["channel"], params["ts"]):
                message.update(params)
                return {"ok": True, "channel": params["channel"], "ts": params["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        thread = [m for m in self.messages
                  if m["channel"] == params["channel"] and m.get("thread_ts") == params["ts"]]
        return {"ok": True, "messages": thread, "has_more": False}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        view = params["view"] if isinstance(params["view"], dict) else json.loads(params["view"])
        if len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_blocks"}
        return {"ok": True, "view": {"id": "V0001", **view}}

    def next_ts(self) -> str:
        return f"{1_700_000_000 + next(self._ts)}.000100"


def check_message(params: dict[str, Any]) -> str | None:
    """Slack's limits that matter to us: 50 blocks, 3,000 characters a section, 40,000 of text."""
    blocks = params.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not params.get("text") and not blocks:
        return "no_text"
    if len(params.get("text") or "") > MAX_TEXT:
        return "msg_too_long"
    if blocks and len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks or []:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and not 0 < len(text) <= SECTION_CHARS:
            return "invalid_blocks"
        if block.get("type") == "context" and not 0 < len(block.get("elements", [])) <= 10:
            return "invalid_blocks"
        if block.get("type") == "actions" and not 0 < len(block.get("elements", [])) <= 25:
            return "invalid_blocks"
    return None


async def _params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.can_read_body:
        params.update(dict(await request.post()))
    return params


def _token(request: web.Request, params: dict[str, Any]) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() or str(params.get("token", ""))
