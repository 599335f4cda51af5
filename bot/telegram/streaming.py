"""A streamed answer: one message edited as a writing model's tokens arrive, at most once a second."""

from __future__ import annotations

import asyncio
import logging
import time
from html import escape

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from .delivery import send_blocks, send_html
from .formatting import Block, pack

log = logging.getLogger(__name__)
EDIT_EVERY = 1.0  # seconds between edits of one chat's message: well within Telegram's flood limits
DRAFT_CHARS = 3500  # a draft longer than one message shows its start; the final answer is split properly


class Draft:
    """Collects tokens (from the answering thread) and shows them in one message, edited in place.

    finish() turns that message into the checked answer, so each answer is sent exactly once:
    a sentence the check dropped is gone in that last edit.
    """

    def __init__(self, bot: Bot, chat_id: int, thread_id: int | None, reply_to: int | None) -> None:
        self._bot, self._chat_id, self._thread_id, self._reply_to = bot, chat_id, thread_id, reply_to
        self._loop = asyncio.get_running_loop()
        self._text = ""
        self._message: Message | None = None
        self._last = 0.0  # monotonic time of the last send or edit
        self._task: asyncio.Task | None = None

    def on_token(self, token: str) -> None:
        """Called from a worker thread: the rest happens on the event loop."""
        self._loop.call_soon_threadsafe(self._add, token)

    def _add(self, token: str) -> None:
        self._text += token
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._show())

    async def _show(self) -> None:
        await asyncio.sleep(max(0.0, self._last + EDIT_EVERY - time.monotonic()))
        text = self._text[:DRAFT_CHARS].strip()
        if not text:
            return
        try:
            if self._message is None:
                self._message = await send_html(self._bot, self._chat_id, Block(escape(text), text),
                                                thread_id=self._thread_id, reply_to=self._reply_to)
            else:
                await self._bot.edit_message_text(text, chat_id=self._chat_id,
                                                  message_id=self._message.message_id)
        except TelegramError as exc:  # a lost draft edit must never cost the answer
            log.debug("draft edit failed: %s", exc)
        self._last = time.monotonic()

    async def finish(self, blocks: list[Block], markup: InlineKeyboardMarkup | None) -> None:
        """Send the checked answer: into the draft's message when there is one, else as usual."""
        while self._task is not None and not self._task.done():
            await self._task  # a token may have scheduled one more draft edit meanwhile
        if self._message is None:
            await send_blocks(self._bot, self._chat_id, blocks, thread_id=self._thread_id,
                              reply_to=self._reply_to, markup=markup)
            return
        first, *rest = pack(blocks)
        await asyncio.sleep(max(0.0, self._last + EDIT_EVERY - time.monotonic()))
        await self._bot.edit_message_text(first.html, chat_id=self._chat_id, parse_mode="HTML",
                                          message_id=self._message.message_id,
                                          reply_markup=None if rest else markup)
        if rest:
            await send_blocks(self._bot, self._chat_id, rest, thread_id=self._thread_id,
                              reply_to=self._reply_to, markup=markup)
