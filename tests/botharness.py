"""The real Application, polling the Bot API stand-in: start it, talk to it, read what it sent."""

from __future__ import annotations

import dataclasses
import io
import logging
import tempfile
from pathlib import Path
from typing import Any

from bot.logs import setup_logging
from bot.telegram.app import build_application, open_chat, register_commands
from index import Engine, TelegramConfig
from index.config import StateConfig

from .standin import BotApiStandIn, Call

BOT = "@coverage_test_bot"


class BotHarness:
    """One bot over one engine; `ask()` pushes a message and returns the bot's new replies.

    Its state is a fresh SQLite file unless `state` names one (a restart: the same file again).
    """

    def __init__(self, engine: Engine, state: Path | None = None, standin: BotApiStandIn | None = None,
                 **telegram: Any) -> None:
        self.engine = engine
        self.telegram = telegram
        self._tmp = None if state else tempfile.TemporaryDirectory(prefix="botstate-")
        self.state_path = state or Path(self._tmp.name) / "state.sqlite"
        self._own_standin = standin is None
        self.standin = standin or BotApiStandIn()
        self.log = io.StringIO()

    async def __aenter__(self) -> BotHarness:
        base_url = await self.standin.start() if self._own_standin else self.standin.base_url
        settings = TelegramConfig(**{"base_url": base_url, **self.telegram})
        self.config = dataclasses.replace(self.engine.config, telegram=settings,
                                          state=StateConfig(self.state_path))
        self.chat = open_chat(self.engine, self.config)
        self.service = self.chat.service
        self._log_handler = setup_logging(self.standin.token, stream=self.log)
        self.app = build_application(self.chat, settings, self.standin.token)
        await self.app.initialize()
        await register_commands(self.app)  # what run_polling() does through post_init
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        self.chat.close()
        if self._own_standin:
            await self.standin.stop()
        if self._tmp:
            self._tmp.cleanup()
        logging.getLogger().removeHandler(self._log_handler)

    async def ask(self, chat_id: int, text: str | None, user_id: int | None = None, *, expect: int = 1,
                  timeout: float = 60.0, **kwargs: Any) -> list[Call]:
        """Push a message; wait for `expect` new messages to that chat; return them."""
        before = len(self.standin.sent(chat_id))
        self.standin.message(chat_id, user_id or chat_id, text, **kwargs)
        return await self.replies(chat_id, before, expect, timeout)

    async def press(self, chat_id: int, user_id: int, message_id: int, data: str) -> None:
        self.standin.press(chat_id, user_id, message_id, data)

    async def replies(self, chat_id: int, before: int, expect: int = 1, timeout: float = 60.0) -> list[Call]:
        await self.standin.wait_for(lambda: len(self.standin.sent(chat_id)) >= before + expect, timeout)
        return self.standin.sent(chat_id)[before:]

    async def silent(self, chat_id: int, text: str | None, user_id: int | None = None, **kwargs: Any) -> bool:
        """Push a message and prove the bot sends nothing to that chat."""
        before = len(self.standin.sent(chat_id))
        self.standin.message(chat_id, user_id or chat_id, text, **kwargs)
        await self.standin.quiet(1.0)
        return len(self.standin.sent(chat_id)) == before


def text_of(call: Call) -> str:
    """What the user sees (the stand-in stores the parsed text in the result)."""
    return call.result["text"]


def button_data(call: Call) -> str | None:
    markup = call.params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return rows[0][0]["callback_data"] if rows else None


def buttons(call: Call) -> dict[str, str]:
    """Every inline button of a message: its label -> its callback data."""
    rows = (call.params.get("reply_markup") or {}).get("inline_keyboard") or []
    return {b["text"]: b["callback_data"] for row in rows for b in row}
