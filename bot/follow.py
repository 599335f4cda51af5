"""New posts for the chats that follow the coverage: collected from the engine, grouped per chat."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .chat import ChatService, Key

log = logging.getLogger(__name__)

GAP_S = 60.0  # at most one message a minute per chat: posts arriving meanwhile are grouped
TICK_S = 1.0  # how often the engine is asked for new posts
MAX_LISTED = 10  # posts in one message; more are counted, not listed
Line = tuple[str, str, str | None]  # headline, first sentence, link
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[A-Z0-9“‘\"'(])")


def first_sentence(text: str, limit: int = 300) -> str:
    first = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


@dataclass
class Announcer:
    """What each following conversation is owed: the posts that arrived since it was last told.

    Posts that arrive before a chat follows are not owed to it; the ones it is owed wait
    until GAP_S has passed since its last message, and then go together.
    """

    chat: ChatService
    gap_s: float | None = None  # None: GAP_S
    cursor: int = 0
    pending: dict[str, list[Any]] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.gap_s = GAP_S if self.gap_s is None else self.gap_s
        # Only what arrives from now on: a first build's thousands of posts are not news.
        self.cursor, _ = self.chat.service.engine.new_posts()

    def due(self, now: float | None = None) -> list[tuple[Key, list[Any]]]:
        """(conversation key, its posts) for every follower whose message may go now."""
        now = time.monotonic() if now is None else now
        self.cursor, posts = self.chat.service.engine.new_posts(self.cursor)
        followers = self.chat.followers()
        if posts:
            for name in followers:
                self.pending.setdefault(name, []).extend(posts)
        out = []
        for name in list(self.pending):
            if name not in followers:  # unfollowed meanwhile
                del self.pending[name]
            elif now - self.last.get(name, float("-inf")) >= self.gap_s:
                out.append((tuple(json.loads(name)[1:]), self.pending.pop(name)))
                self.last[name] = now
        return out


def announcement(posts: Iterable[Any]) -> list[Line]:
    """(headline, first sentence, link) per post, newest first as a live page lists them."""
    lines = []
    for post in posts:
        headline = post.headline or post.title or "New post"
        lines.append((headline, first_sentence(post.text), post.url))
    return lines


async def announce(chat: ChatService, send: Callable[[Key, list[Line], int], Awaitable[object]],
                   stop: asyncio.Event, allowed: Callable[[Key], bool]) -> None:
    """New posts to this front end's followers until stop is set: send(key, lines, more) per chat,
    at most one per GAP_S per chat, at most MAX_LISTED lines (`more` counts the rest).

    allowed(key) is asked at send time: a chat the allowlist dropped since /follow hears nothing.
    """
    announcer = Announcer(chat)
    while not stop.is_set():
        for key, posts in announcer.due():
            if not allowed(key):
                continue
            lines = announcement(posts)
            try:
                await send(key, lines[:MAX_LISTED], max(0, len(lines) - MAX_LISTED))
            except Exception as exc:  # noqa: BLE001 - one chat's failure (blocked, gone) must not stop the others
                log.warning("could not post new posts to %s: %s", key, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), TICK_S)
