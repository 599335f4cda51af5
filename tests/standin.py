"""A Bot API stand-in on 127.0.0.1: serves injected updates, records every call, injects faults.

The real python-telegram-bot Application talks to it over HTTP through `base_url`.
It checks what Telegram checks that matters to us (HTML well-formedness, 4,096 UTF-16 units)
and can answer a call with 429, 500 or a formatting error. Used by the tests and by bench/.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html import unescape
from typing import Any

from aiohttp import web

TOKEN = "123456:STANDIN-token-do-not-log"
BOT_ID = 777000
BOT_USERNAME = "coverage_test_bot"
MAX_TEXT = 4096
STALL = 6.0  # seconds: past PTB's default 5 s read timeout
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
         "blockquote", "tg-spoiler", "span", "tg-emoji"}
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)((?:\s+[a-zA-Z-]+(?:=\"[^\"<>]*\")?)*)\s*>")
_BAD_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
_STRINGS = {"text", "caption", "callback_query_id", "secret_token", "url", "parse_mode", "action"}
_COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MENTION = re.compile(r"@[A-Za-z0-9_]{5,32}")


class ParseError(ValueError):
    """What Telegram answers to malformed HTML."""


def html_to_plain(text: str) -> str:
    """Validate Telegram-style HTML; return the text the user would see."""
    stack: list[str] = []
    plain, pos = [], 0
    for lt in [m.start() for m in re.finditer("<", text)] + [len(text)]:
        if lt < pos:
            continue
        chunk = text[pos:lt]
        if ">" in chunk or _BAD_AMP.search(chunk):
            raise ParseError(f"can't parse entities: unescaped character at byte offset {pos}")
        plain.append(unescape(chunk))
        if lt == len(text):
            break
        tag = _TAG.match(text, lt)
        if not tag or tag.group(2).lower() not in _TAGS:
            raise ParseError(f"can't parse entities: Unsupported start tag at byte offset {lt}")
        name = tag.group(2).lower()
        if tag.group(1):
            if not stack or stack.pop() != name:
                raise ParseError(f"can't parse entities: Unmatched end tag at byte offset {lt}")
        else:
            stack.append(name)
        pos = tag.end()
    if stack:
        raise ParseError(f"can't parse entities: Can't find end tag corresponding to start tag {stack[-1]}")
    return "".join(plain)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    result: Any = None


@dataclass
class BotApiStandIn:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    pushed_at: dict[int, float] = field(default_factory=dict)  # update_id -> monotonic time

    def __post_init__(self) -> None:
        self._updates: list[dict] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._messages: dict[tuple[int, int], dict] = {}
        self._chats: dict[int, dict] = {}
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._arrived: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- life cycle -------------------------------------------------------
    async def start(self) -> str:
        self._arrived = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    # ---- what a test injects ----------------------------------------------
    def fail(self, method: str, kind: str, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with '429', '500' or 'parse', or 'stall' them past
        the client's timeout (the call still takes effect, as a slow Telegram's does)."""
        self._faults[method].extend([kind] * times)

    def message(self, chat_id: int, user_id: int, text: str | None = None, *, chat_type: str = "private",
                thread_id: int | None = None, reply_to: int | None = None, photo: bool = False) -> int:
        """Push a user's message as an update (a channel's post, with no user, if chat_type is
        "channel"); returns the message id."""
        chat = self._chat(chat_id, chat_type, forum=thread_id is not None)
        msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                               "chat": chat}
        if chat_type == "channel":
            msg["sender_chat"] = chat
        else:
            msg["from"] = _user(user_id)
        if text is not None:
            msg["text"] = text
            if entities := _entities(text):
                msg["entities"] = entities
        if photo:
            msg["photo"] = [{"file_id": "f1", "file_unique_id": "u1", "width": 8, "height": 8}]
        if thread_id is not None:
            msg["message_thread_id"], msg["is_topic_message"] = thread_id, True
        if reply_to is not None:
            msg["reply_to_message"] = self._messages[(chat_id, reply_to)]
        self._messages[(chat_id, msg["message_id"])] = msg
        self._push({"channel_post" if chat_type == "channel" else "message": msg})
        return msg["message_id"]

    def press(self, chat_id: int, user_id: int, message_id: int, data: str) -> int:
        """Push a press on an inline button of the bot's message `message_id`."""
        query = {"id": str(next(self._message_ids)), "from": _user(user_id), "chat_instance": "ci",
                 "data": data, "message": self._messages[(chat_id, message_id)]}
        return self._push({"callback_query": query})

    # ---- what a test inspects ---------------------------------------------
    def sent(self, chat_id: int | None = None, method: str = "sendMessage") -> list[Call]:
        """Successful calls of `method`, to one chat or all, in order."""
        return [c for c in self.calls if c.method == method and c.status == 200
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    def take_update(self) -> dict:
        """Remove and return the oldest queued update (to POST it to a webhook instead)."""
        return self._updates.pop(0)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Any, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the bot did not do what was expected in time")
            await asyncio.sleep(0.02)

    async def quiet(self, seconds: float = 1.0) -> None:
        """Wait until no call has arrived for `seconds` (to prove nothing more is sent)."""
        while True:
            last = self.calls[-1].at if self.calls else 0.0
            await asyncio.sleep(seconds)
            if (self.calls[-1].at if self.calls else 0.0) == last:
                return

    # ---- the HTTP side ----------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        if method != "getUpdates":
            self.calls.append(call)
        if request.match_info["token"] != self.token:
            return _error(call, 401, "Unauthorized")
        if self._faults[method]:
            kind = self._faults[method].popleft()
            if kind != "stall":
                return self._fault(call, kind)
            await asyncio.sleep(STALL)  # past the client's read timeout; then the call takes effect
        handler = getattr(self, "_api_" + method, None)
        if handler is None:
            return _error(call, 400, f"Bad Request: the stand-in does not implement {method}")
        try:
            result = await handler(params)
        except ParseError as exc:
            return _error(call, 400, f"Bad Request: {exc}")
        except ValueError as exc:
            return _error(call, 400, f"Bad Request: {exc}")
        call.result = result
        return web.json_response({"ok": True, "result": result})

    def _fault(self, call: Call, kind: str) -> web.Response:
        if kind == "429":
            return _error(call, 429, "Too Many Requests: retry after 1", {"retry_after": 1})
        if kind == "500":
            return _error(call, 500, "Internal Server Error")
        return _error(call, 400, "Bad Request: can't parse entities: Unsupported start tag at byte offset 0")

    async def _api_getMe(self, params: dict) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Coverage", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and float(params.get("timeout") or 0) > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), float(params["timeout"]))
            except TimeoutError:
                pass
        return list(self._updates[: int(params.get("limit") or 100)])

    async def _api_sendMessage(self, params: dict) -> dict:
        chat_id = int(params["chat_id"])
        msg = self._bot_message(chat_id, params)
        if "reply_markup" in params:
            msg["reply_markup"] = params["reply_markup"]
        self._messages[(chat_id, msg["message_id"])] = msg
        return msg

    async def _api_editMessageText(self, params: dict) -> dict:
        key = (int(params["chat_id"]), int(params["message_id"]))
        if key not in self._messages:
            raise ValueError("message to edit not found")
        msg = dict(self._messages[key], text=_visible(params), edit_date=int(time.time()))
        self._messages[key] = msg
        return msg

    async def _api_sendChatAction(self, params: dict) -> bool:
        return True

    async def _api_answerCallbackQuery(self, params: dict) -> bool:
        return True

    async def _api_setMyCommands(self, params: dict) -> bool:
        return True

    async def _api_deleteWebhook(self, params: dict) -> bool:
        return True

    async def _api_setWebhook(self, params: dict) -> bool:
        return True

    async def _api_close(self, params: dict) -> bool:
        return True

    def _bot_message(self, chat_id: int, params: dict) -> dict:
        msg = {"message_id": next(self._message_ids), "date": int(time.time()),
               "chat": self._chats.get(chat_id) or self._chat(chat_id, "private"),
               "from": {"id": BOT_ID, "is_bot": True, "first_name": "Coverage", "username": BOT_USERNAME},
               "text": _visible(params)}
        if params.get("message_thread_id") is not None:
            msg["message_thread_id"], msg["is_topic_message"] = int(params["message_thread_id"]), True
        return msg

    def _chat(self, chat_id: int, chat_type: str, forum: bool = False) -> dict:
        chat = {"id": chat_id, "type": chat_type}
        name = {"first_name": f"user{chat_id}"} if chat_type == "private" else {"title": f"group{chat_id}"}
        chat.update(name)
        if forum:
            chat["is_forum"] = True
        self._chats[chat_id] = chat
        return chat

    def _push(self, payload: dict) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        self.pushed_at[update_id] = time.monotonic()
        if self._arrived:
            self._arrived.set()
        return update_id


def _visible(params: dict) -> str:
    """The text a user would see, after the checks Telegram makes."""
    text = params.get("text")
    if not isinstance(text, str):
        raise ValueError("message text is empty")
    if params.get("parse_mode") == "HTML":
        text = html_to_plain(text)
    if not text.strip():
        raise ValueError("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise ValueError("message is too long")
    return text


def _user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}


def utf16_len(text: str) -> int:
    """Telegram's length: UTF-16 code units, so an emoji counts two."""
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[dict]:
    """Commands and mentions, with offsets and lengths in UTF-16 units as Telegram sends them."""
    def entity(kind: str, m: re.Match) -> dict:
        return {"type": kind, "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group())}

    out = []
    if m := _COMMAND.match(text):
        out.append(entity("bot_command", m))
    for m in _MENTION.finditer(text):
        if m.start() == 0 or not text[m.start() - 1].isalnum():
            out.append(entity("mention", m))
    return out


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return await request.json()
    raw = dict(await request.post()) if request.can_read_body else {}
    raw.update(request.query)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        value = str(value)
        if key not in _STRINGS and value[:1] in "{[-0123456789tfn":
            try:
                out[key] = json.loads(value)
                continue
            except json.JSONDecodeError:
                pass
        out[key] = value
    return out


def _error(call: Call, status: int, description: str, parameters: dict | None = None) -> web.Response:
    call.status = status
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
