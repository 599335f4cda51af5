"""Splitting plain text into pieces whose escaped form fits a front end's length budget."""

from __future__ import annotations

import re
from collections.abc import Callable

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
