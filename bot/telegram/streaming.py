"""A streamed answer in Telegram: one message edited as a writing model's tokens arrive, paced per chat."""

from __future__ import annotations

import logging
from html import escape

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from ..pacing import Draft, Pacer
from .delivery import send_blocks, send_html
from .formatting import Block, pack

log = logging.getLogger(__name__)


class TelegramDraft:
    """The draft message of one answer, edited at most once a second per chat (bot/pacing.py).

    finish() turns that message into the checked answer, so each answer is sent exactly once:
    a sentence the check dropped is gone in that last edit.
    """

    def __init__(self, bot: Bot, pacer: Pacer, chat_id: int, thread_id: int | None,
                 reply_to: int | None) -> None:
        self._bot, self._chat_id, self._thread_id, self._reply_to = bot, chat_id, thread_id, reply_to
        self._message: Message | None = None
        self._draft = Draft(pacer, chat_id, self._show)
        self.on_token = self._draft.on_token

    async def _show(self, text: str) -> bool:
        try:
            if self._message is None:
                self._message = await send_html(self._bot, self._chat_id, Block(escape(text), text),
                                                thread_id=self._thread_id, reply_to=self._reply_to)
            else:
                await self._bot.edit_message_text(text, chat_id=self._chat_id,
                                                  message_id=self._message.message_id)
        except TelegramError as exc:  # a lost draft edit must never cost the answer
            log.debug("draft edit failed: %s", exc)
        return self._message is not None

    async def finish(self, blocks: list[Block], markup: InlineKeyboardMarkup | None) -> None:
        """Send the checked answer: into the draft's message when there is one, else as usual."""
        if not await self._draft.finish() or self._message is None:
            await send_blocks(self._bot, self._chat_id, blocks, thread_id=self._thread_id,
                              reply_to=self._reply_to, markup=markup)
            return
        first, *rest = pack(blocks)
        await self._bot.edit_message_text(first.html, chat_id=self._chat_id, parse_mode="HTML",
                                          message_id=self._message.message_id,
                                          reply_markup=None if rest else markup)
        if rest:
            await send_blocks(self._bot, self._chat_id, rest, thread_id=self._thread_id,
                              reply_to=self._reply_to, markup=markup)
