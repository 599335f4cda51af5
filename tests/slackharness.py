"""The real Bolt app serving /slack/events over HTTP, its Web API at the stand-in: sign, post, read."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import itertools
import json
import logging
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.logs import setup_logging
from bot.slack.app import EVENTS_PATH, Secrets, build_app, open_chat, serve
from index import Engine
from index.config import SlackConfig, StateConfig

from .loopback import free_port
from .slack_standin import APP_TOKEN, BOT_TOKEN, BOT_USER, SIGNING_SECRET, TEAM, SlackStandIn

SECRETS = Secrets(BOT_TOKEN, APP_TOKEN, SIGNING_SECRET)


@dataclasses.dataclass
class Posted:
    """What Slack's server got back from the app for one request."""

    status: int
    body: str
    seconds: float


class SlackHarness:
    """One Slack front end over one engine, in HTTP mode unless `mode="socket"`.

    Its state is a fresh SQLite file unless `state` names one (a restart: the same file again).
    On exit it fails if any log line holds a token or the signing secret.
    """

    def __init__(self, engine: Engine, state: Path | None = None, standin: SlackStandIn | None = None,
                 level: int = logging.INFO, **slack: Any) -> None:
        self.engine = engine
        self.slack = {"mode": "http", **slack}
        self._tmp = None if state else tempfile.TemporaryDirectory(prefix="slackstate-")
        self.state_path = state or Path(self._tmp.name) / "state.sqlite"
        self._own_standin = standin is None
        self.standin = standin or SlackStandIn()
        self.level = level
        self.log = io.StringIO()
        self._ids = itertools.count(1)

    @staticmethod
    @contextlib.asynccontextmanager
    async def standin_only() -> AsyncIterator[SlackStandIn]:
        """The stand-in alone, for tests that call the Web API without the app."""
        standin = SlackStandIn()
        await standin.start()
        try:
            yield standin
        finally:
            await standin.stop()

    async def __aenter__(self) -> SlackHarness:
        base_url = await self.standin.start() if self._own_standin else self.standin.base_url
        self.port = free_port()
        self.settings = SlackConfig(**{"base_url": base_url, "listen": "127.0.0.1", "port": self.port,
                                       **self.slack})
        self.config = dataclasses.replace(self.engine.config, slack=self.settings,
                                          state=StateConfig(self.state_path))
        self._log_handler = setup_logging(*SECRETS.all(), stream=self.log, level=self.level)
        self.chat = open_chat(self.engine, self.config)
        self.app = build_app(self.chat, self.settings, SECRETS)
        self._task = asyncio.create_task(serve(self.app, self.settings, SECRETS))
        self.http = aiohttp.ClientSession()
        if self.settings.mode == "http":
            await self._listening()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self.http.close()
        self.chat.close()
        if self._own_standin:
            await self.standin.stop()
        if self._tmp:
            self._tmp.cleanup()
        logging.getLogger().removeHandler(self._log_handler)
        leaked = [s for s in SECRETS.all() if s in self.log.getvalue()]
        assert not leaked, "a token or the signing secret reached the log"

    async def _listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._task.done():
                self._task.result()  # raises why serve() stopped
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.05)
        raise TimeoutError("the Slack app did not start listening")

    # What Slack sends.

    async def post(self, body: str, content_type: str, *, secret: str = SIGNING_SECRET,
                   age: float = 0, headers: dict[str, str] | None = None) -> Posted:
        """One signed request to /slack/events, as Slack signs it (v0 HMAC of timestamp and body)."""
        stamp = str(int(time.time() - age))
        signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature, **(headers or {})}
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.port}{EVENTS_PATH}"
        async with self.http.post(url, data=body.encode(), headers=sent) as resp:
            return Posted(resp.status, await resp.text(), time.monotonic() - started)

    def envelope(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        return {"token": "legacy", "team_id": TEAM, "api_app_id": "A0STANDIN", "type": "event_callback",
                "event_id": event_id or f"Ev{next(self._ids):06d}", "event_time": int(time.time()),
                "event": event, "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}

    async def event(self, event: dict[str, Any], event_id: str | None = None, retry: int = 0,
                    **kwargs: Any) -> Posted:
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "timeout"} if retry else {}
        body = json.dumps(self.envelope(event, event_id))
        return await self.post(body, "application/json", headers=headers, **kwargs)

    async def command(self, command: str, text: str, user: str, channel: str) -> Posted:
        form = {"command": command, "text": text, "user_id": user, "channel_id": channel, "team_id": TEAM,
                "response_url": self.standin.response_url(f"c{next(self._ids)}"), "trigger_id": "t"}
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def press(self, button: dict[str, Any], user: str, channel: str, message_ts: str = "",
                    ephemeral: bool = False) -> Posted:
        """A click on one of the app's buttons, as a block_actions payload."""
        action = {"type": "button", "action_id": button["action_id"], "value": button["value"],
                  "block_id": "answer_actions", "action_ts": str(time.time())}
        payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user},
                   "api_app_id": "A0STANDIN", "channel": {"id": channel}, "trigger_id": f"t{next(self._ids)}",
                   "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                                 "is_ephemeral": ephemeral},
                   "response_url": self.standin.response_url(f"a{next(self._ids)}"), "actions": [action]}
        form = urlencode({"payload": json.dumps(payload)})
        return await self.post(form, "application/x-www-form-urlencoded")

    def next_ts(self) -> str:
        return self.standin.next_ts()


def buttons(params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A message's buttons by label."""
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return {e["text"]["text"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def shown(params: dict[str, Any]) -> str:
    """The text of a message's blocks, as mrkdwn."""
    blocks = params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    out = []
    for b in blocks:
        if b.get("text"):
            out.append(b["text"]["text"])
        out += [e["text"] for e in b.get("elements", []) if e.get("type") == "mrkdwn"]
    return "\n".join(out)
