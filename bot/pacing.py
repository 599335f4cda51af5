"""Streamed drafts for any front end: a writing model's tokens shown at most once a second per place."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable

EDIT_EVERY = 1.0  # seconds between sends or edits in one place: within Telegram's and Slack's limits
DRAFT_CHARS = 3500  # a draft longer than one message shows its start; the final answer is split properly


class Pacer:
    """Turns of at most one call per `every` seconds for each key (a chat, a channel's thread).

    Shared by every answer of one front end, so two answers streaming into the same place share
    its budget. A turn is reserved before sleeping, so concurrent callers queue in order.
    """

    def __init__(self, every: float = EDIT_EVERY, keep: int = 10_000) -> None:
        self.every = every
        self._next: dict[Hashable, float] = {}
        self._keep = keep

    async def turn(self, key: Hashable) -> None:
        now = time.monotonic()
        at = max(now, self._next.get(key, 0.0))
        self._next[key] = at + self.every
        if len(self._next) > self._keep:  # forget places whose turn is long past
            self._next = {k: t for k, t in self._next.items() if t > now}
        await asyncio.sleep(at - now)


class Draft:
    """Tokens collected from the answering thread, shown through `show(text)` on the event loop.

    At most one show is pending at a time and it shows the text as it is when its turn comes,
    so a fast model costs one call a second, not one per token. `show` handles its own API
    errors: a lost draft must never cost the answer.
    """

    def __init__(self, pacer: Pacer, key: Hashable, show: Callable[[str], Awaitable[bool]],
                 limit: int = DRAFT_CHARS) -> None:
        self._pacer, self._key, self._show_text, self._limit = pacer, key, show, limit
        self._loop = asyncio.get_running_loop()
        self._text = ""
        self._task: asyncio.Task | None = None
        self.shown = False  # whether a draft message exists to be turned into the answer

    def on_token(self, token: str) -> None:
        """Called from a worker thread: the rest happens on the event loop."""
        self._loop.call_soon_threadsafe(self._add, token)

    def _add(self, token: str) -> None:
        self._text += token
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._show())

    async def _show(self) -> None:
        await self._pacer.turn(self._key)
        text = self._text[: self._limit].strip()
        if text:
            self.shown = await self._show_text(text) or self.shown

    async def finish(self) -> bool:
        """Wait for the last draft and then for this place's next turn; True if a draft was shown,
        so the caller edits it into the answer (else it sends the answer as usual, unpaced)."""
        await asyncio.sleep(0)  # tokens the worker thread queued just before returning land first
        while self._task is not None and not self._task.done():
            await self._task  # a token may have scheduled one more draft meanwhile
        if self.shown:
            await self._pacer.turn(self._key)
        return self.shown
