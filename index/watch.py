"""Watch the corpus folder (watchfiles) and bring the index up to date after each burst of changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from watchfiles import Change, watch
from watchfiles.main import FileChange

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


async def corpus_changes(root: Path, stop: asyncio.Event | None = None,
                         debounce_ms: int = DEBOUNCE_MS) -> AsyncIterator[set[FileChange]]:
    """Each burst of changes under root, until stop is set (or the caller stops iterating).

    Not watchfiles.awatch(): it runs each wait in an anyio worker thread, which is not a daemon
    and which anyio ends only when the loop's "root task" finishes. Under PTB's run_polling()
    (the loop driven by run_until_complete()/run_forever() calls) that task may never finish,
    and the interpreter then waits for the thread at exit: a revoked token left a process that
    never ended (issue 13, defect 13). So the blocking watchfiles.watch() runs in a daemon thread
    of our own, with the threading.Event stop_event it supports, set whenever we stop.
    """
    loop = asyncio.get_running_loop()
    bursts: asyncio.Queue[set[FileChange] | BaseException | None] = asyncio.Queue()
    halt = threading.Event()

    def hand_over(item: set[FileChange] | BaseException | None) -> None:
        loop.call_soon_threadsafe(bursts.put_nowait, item)  # RuntimeError once the loop is closed

    def run() -> None:
        try:
            for changes in watch(root, watch_filter=corpus_filter, debounce=debounce_ms,
                                 stop_event=halt, recursive=True, raise_interrupt=False):
                hand_over(changes)
            hand_over(None)
        except RuntimeError:  # the loop is gone: nobody to tell
            halt.set()
        except Exception as exc:  # the folder vanished, permissions...: the caller sees it
            with contextlib.suppress(RuntimeError):
                hand_over(exc)

    stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
    if stopper is not None:
        stopper.add_done_callback(lambda _: halt.set())
    threading.Thread(target=run, name="corpus watch", daemon=True).start()
    try:
        while (item := await bursts.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        halt.set()  # the thread sees it within watchfiles' step (50 ms) and ends
        if stopper is not None:
            stopper.cancel()


async def watch_corpus(root: Path, on_change: Callable[[], Awaitable[object]],
                       stop: asyncio.Event | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
    """Call on_change() after every burst of changes under root, until stop is set.

    on_change failing is logged and the watch goes on: the next change tries again.
    """
    log.info("watching %s for changes", root)
    changes = corpus_changes(root, stop, debounce_ms)
    try:
        async for burst in changes:
            await settled({path for _, path in burst})
            log.info("corpus: %d change(s), updating the index", len(burst))
            try:
                await on_change()
            except Exception:  # a failed update keeps the old index; the next change retries
                log.exception("corpus: the update after a change failed")
    finally:
        await changes.aclose()  # stops the thread now, not when the generator is collected
