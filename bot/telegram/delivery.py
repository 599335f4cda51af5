"""Getting replies to Telegram: flood limits and retries, per-chat order, HTML with a plain fallback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

from .formatting import Block, pack

log = logging.getLogger(__name__)
TYPING_EVERY = 4.0  # seconds; Telegram shows "typing…" for about five
# A quick answer needs no indicator, and each one is an API call against Telegram's flood
# limit (AIORateLimiter: 30 a second), which busy bots then spend on answers instead.
TYPING_AFTER = 0.5
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a source link must not balloon into a card


class RetryingRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (flood limits, 429 retry_after), plus retries on 5xx and network errors.

    AIORateLimiter retries only RetryAfter; a Bot API 500 or a dropped connection would
    otherwise lose the reply. Not retried: BadRequest and the like (the request itself is
    wrong) and TimedOut (the message may have been delivered; a retry could send it twice).
    """

    def __init__(self, network_retries: int = 3, backoff: float = 0.5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.network_retries = network_retries
        self.backoff = backoff

    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        for attempt in range(self.network_retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except (BadRequest, TimedOut):
                raise
            except NetworkError as exc:
                if attempt == self.network_retries:
                    raise
                log.warning("%s failed (%s); retry %d of %d", endpoint, exc, attempt + 1,
                            self.network_retries)
                await asyncio.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates from different chats run concurrently; those from one chat run one at a time, in order.

    PTB's SimpleUpdateProcessor runs everything concurrently, so two quick questions in one
    chat could be answered in the wrong order, and a follow-up could miss its history.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:  # asyncio.Lock wakes waiters first-come, first-served
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users == 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def send_blocks(
    bot: Bot, chat_id: int, blocks: list[Block], *, thread_id: int | None = None,
    reply_to: int | None = None, markup: InlineKeyboardMarkup | None = None,
) -> list[Message]:
    """Send blocks as few HTML messages; the button goes on the last one."""
    messages = pack(blocks)
    sent = []
    for i, message in enumerate(messages):
        sent.append(await send_html(bot, chat_id, message, thread_id=thread_id, reply_to=reply_to,
                                    markup=markup if i == len(messages) - 1 else None))
    return sent


async def send_html(bot: Bot, chat_id: int, block: Block, *, thread_id: int | None = None,
                    reply_to: int | None = None, markup: InlineKeyboardMarkup | None = None) -> Message:
    """One message in HTML; if Telegram rejects the formatting, the same words as plain text."""
    kwargs: dict[str, Any] = {"message_thread_id": thread_id, "reply_markup": markup,
                              "link_preview_options": NO_PREVIEW}
    if reply_to is not None:
        kwargs["reply_parameters"] = ReplyParameters(reply_to, allow_sending_without_reply=True)
    try:
        return await bot.send_message(chat_id, block.html, parse_mode=ParseMode.HTML, **kwargs)
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.warning("Telegram rejected the HTML of a reply (%s); sending it as plain text", exc)
        return await bot.send_message(chat_id, block.plain, parse_mode=None, **kwargs)


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int, thread_id: int | None = None, *,
                 busy: Callable[[], bool] = lambda: False) -> AsyncIterator[None]:
    """Show "typing…" while the body runs, once it has run for TYPING_AFTER seconds,
    except while busy() says the bot has its flood limit's worth of answers to send."""

    async def keep_typing() -> None:
        await asyncio.sleep(TYPING_AFTER)
        while True:
            if busy():  # look again soon: the indicator is wanted once the rush is over
                await asyncio.sleep(TYPING_AFTER)
                continue
            try:
                await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
            except TelegramError as exc:  # a missing indicator must never cost the answer
                log.debug("chat action failed: %s", exc)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
