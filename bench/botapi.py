"""A small Bot API on 127.0.0.1 for the reliability benchmarks: updates in, replies checked and recorded,
429 / 500 / timeouts injected at a given rate.

Why not tests/standin.py: benchmarks import index and bot, never tests. This holds only what a bot
process needs to poll and reply; replies are checked as Telegram checks them (strict HTML, only
Telegram's tags, at most 4,096 UTF-16 units).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

TOKEN = "123456:BENCH-token-do-not-log"
BOT = {"id": 777001, "is_bot": True, "first_name": "Coverage", "username": "coverage_bench_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
MAX_TEXT = 4096
TAGS = {"b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "ins": set(), "s": set(),
        "strike": set(), "del": set(), "a": {"href"}, "code": {"class"}, "pre": set(),
        "blockquote": {"expandable"}, "tg-spoiler": set(), "span": {"class"}, "tg-emoji": {"emoji-id"}}
ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class TelegramHTML(HTMLParser):
    """Python's HTML tokenizer made strict: what Telegram would refuse raises ValueError."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TAGS or {name for name, _ in attrs} - TAGS[tag]:
            raise ValueError(f"unsupported tag <{tag}> {attrs}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ValueError(f"unmatched end tag </{tag}>")

    def handle_data(self, data: str) -> None:
        if set(data) & set("<>&"):
            raise ValueError(f"unescaped character in {data[:60]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ENTITIES:
            raise ValueError(f"unknown entity &{name};")
        self.text.append(ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))

    def unknown_decl(self, data: str) -> None:
        raise ValueError("a declaration")

    handle_startendtag = handle_comment = handle_decl = handle_pi = unknown_decl  # type: ignore[assignment]


def visible_text(html: str) -> str:
    """The text Telegram would show for this HTML; ValueError if Telegram would refuse it."""
    parser = TelegramHTML()
    parser.feed(html)
    parser.close()
    if parser.stack or parser.rawdata:
        raise ValueError(f"unclosed {parser.stack} {parser.rawdata[:40]!r}")
    return "".join(parser.text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class Reply:
    chat_id: int
    text: str
    at: float


@dataclass
class BotApi:
    """fault_rate of calls (getUpdates and sendMessage) answered 429, 500, or after `stall` s."""

    fault_rate: float = 0.0
    stall: float = 7.0  # past PTB's 5 s read timeout, so the client gives up; the reply is still delivered
    seed: int = 0
    token: str = TOKEN
    replies: list[Reply] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._updates: list[dict] = []
        self._ids = itertools.count(1)
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def message(self, chat_id: int, user_id: int, text: str) -> None:
        """A user's text message in a private chat (a group's id, if chat_id < 0)."""
        kind = "private" if chat_id > 0 else "group"
        msg: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()), "text": text,
                               "chat": {"id": chat_id, "type": kind, "first_name": f"u{chat_id}"},
                               "from": {"id": user_id, "is_bot": False, "first_name": f"u{user_id}"}}
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._updates.append({"update_id": next(self._ids), "message": msg})
        self._arrived.set()

    def to(self, chat_id: int) -> list[Reply]:
        return [r for r in self.replies if r.chat_id == chat_id]

    async def wait_for(self, predicate: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = await _params(request)
        if method in ("getUpdates", "sendMessage") and self._rng.random() < self.fault_rate:
            kind = self._rng.choice(["429", "500", "timeout"])
            self.faults[kind] = self.faults.get(kind, 0) + 1
            if kind == "429":
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            if kind == "500":
                return _error(500, "Internal Server Error")
            await asyncio.sleep(self.stall)  # then carry on: the call took effect, the client gave up
        try:
            result = await getattr(self, "_" + method, self._other)(params)
        except ValueError as exc:
            self.rejected.append(str(exc))
            return _error(400, f"Bad Request: {exc}")
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, params: dict) -> dict:
        return BOT

    async def _getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(params.get("timeout") or 0) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params["timeout"]))
            except TimeoutError:
                pass
        return self._updates[: int(params.get("limit") or 100)]

    async def _sendMessage(self, params: dict) -> dict:
        text = str(params.get("text") or "")
        shown = visible_text(text) if params.get("parse_mode") == "HTML" else text
        if not shown.strip() or utf16_len(shown) > MAX_TEXT:
            raise ValueError("message text is empty or too long")
        chat_id = int(params["chat_id"])
        self.replies.append(Reply(chat_id, shown, time.monotonic()))
        return {"message_id": next(self._ids), "date": int(time.time()), "text": shown,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"}, "from": BOT}

    async def _other(self, params: dict) -> bool:  # setMyCommands, sendChatAction, deleteWebhook...
        return True


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return await request.json()
    raw = dict(await request.post()) if request.can_read_body else {}
    return {k: str(v) for k, v in {**raw, **request.query}.items()}


def _error(status: int, description: str, parameters: dict | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status, dumps=json.dumps)
