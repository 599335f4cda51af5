"""Watch the corpus folder (watchfiles) and bring the index up to date after each burst of changes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from watchfiles import Change, awatch

from .documents import SUFFIXES

log = logging.getLogger(__name__)

DEBOUNCE_MS = 500  # changes within this much of each other are one burst, one build
SETTLE_S = 0.3  # and a changed file must stay the same size this long before it is read


def corpus_filter(change: Change, path: str) -> bool:
    """Files the loader reads; hidden files (editors' swap files, our own temporaries) are not."""
    name = Path(path).name
    return not name.startswith(".") and (change == Change.deleted or name.lower().endswith(SUFFIXES))


async def settled(paths: set[str], quiet_s: float = SETTLE_S, limit_s: float = 10.0) -> None:
    """Wait until none of these files changes size or time for quiet_s (at most limit_s).

    A writer that pauses longer is read half-way; its next write is a new change, and the
    file is read again then, whole.
    """
    def stamps() -> dict[str, tuple[int, int] | None]:
        out = {}
        for p in paths:
            try:
                info = Path(p).stat()
                out[p] = (info.st_size, info.st_mtime_ns)
            except OSError:
                out[p] = None
        return out

    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    before = stamps()
    while loop.time() < deadline:
        await asyncio.sleep(quiet_s)
        now = stamps()
        if now == before:
            return
        before = now


async def watch_corpus(root: Path, on_change: Callable[[], Awaitable[object]],
                       stop: asyncio.Event | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
    """Call on_change() after every burst of changes under root, until stop is set.

    on_change failing is logged and the watch goes on: the next change tries again.
    """
    log.info("watching %s for changes", root)
    async for changes in awatch(root, watch_filter=corpus_filter, debounce=debounce_ms,
                                stop_event=stop, recursive=True):
        await settled({path for _, path in changes})
        log.info("corpus: %d change(s), updating the index", len(changes))
        try:
            await on_change()
        except Exception:  # a failed update keeps the old index; the next change retries
            log.exception("corpus: the update after a change failed")
