"""Plain text every front end shares: splitting to a length budget, clipping, dates, status lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .chat import Status

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"(?<=[.!?…])\s+"), re.compile(r"\s+"))


def split_text(text: str, escape: Callable[[str], str], budget: int,
               length: Callable[[str], int] = len) -> list[str]:
    """Cut at paragraph, then sentence, then word boundaries so that length(escape(piece)) fits budget.

    Pieces are raw text: the caller escapes each one itself (Telegram HTML, Slack mrkdwn...).
    `length` is how the front end counts (Telegram: UTF-16 code units, not code points).
    """
    if length(escape(text)) <= budget:
        return [text]
    for pattern in _BREAKS:
        parts = [p for p in pattern.split(text) if p.strip()]
        if len(parts) > 1:
            sep = "\n\n" if pattern is _BREAKS[0] else " "
            return _regroup(parts, sep, escape, budget, length)
    # One unbroken run of characters: cut it where it must be cut, allowing for the
    # character that grows most when escaped ("&" -> "&amp;" in HTML; an emoji is two UTF-16 units).
    growth = max(length(escape(c)) for c in set(text))
    step = max(1, budget // growth)
    return [text[i:i + step] for i in range(0, len(text), step)]


def _regroup(parts: list[str], sep: str, escape: Callable[[str], str], budget: int,
             length: Callable[[str], int]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if out and length(escape(out[-1] + sep + part)) <= budget:
            out[-1] += sep + part
        else:
            out.extend(split_text(part, escape, budget, length))
    return out


def clip(text: str, limit: int) -> str:
    """Headlines and titles come from the corpus; a runaway one must not crowd out the answer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def display_date(published: int | None) -> str | None:
    """"7 Jan 2022", with the time when there is one ("7 Jan 2022, 09:30 UTC")."""
    if published is None:
        return None
    moment = datetime.fromtimestamp(published, tz=UTC)
    day = f"{moment.day} {moment:%b %Y}"
    return day if (moment.hour, moment.minute) == (0, 0) else f"{day}, {moment:%H:%M} UTC"


def display_time(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%-d %b %Y, %H:%M UTC")


def status_lines(status: Status, reindex_label: str) -> list[str]:
    """What the admins' stats command says, on any front end."""
    s = status.stats
    lines = [f"Articles: {s.articles}", f"Posts: {s.posts}", f"Chunks: {s.chunks}",
             f"Newest update: {display_time(s.newest) or 'unknown'}",
             f"Reindexing now: {'yes' if status.reindexing else 'no'}"]
    if report := status.last_build:
        lines.append(f"{reindex_label}: {report.summary()}")
    return lines
