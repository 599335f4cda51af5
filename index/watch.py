"""Watch the corpus folder (watchfiles) and bring the index up to date after each burst of changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
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


class CorpusChanges:
    """Each burst of changes under root, as an async iterator, until stop is set or close().

    Not watchfiles.awatch(): it runs each wait in an anyio worker thread, which is not a daemon
    and which anyio ends only when the loop's "root task" finishes. Under PTB's run_polling()
    (the loop driven by run_until_complete()/run_forever() calls) that task may never finish,
    and the interpreter then waits for the thread at exit: a revoked token left a process that
    never ended (issue 13, defect 13). So the blocking watchfiles.watch() runs in a daemon thread
    of our own, with the threading.Event stop_event it supports, set whenever we stop. The
    thread starts here, not at the first iteration, so a caller can do work while it listens.
    """

    def __init__(self, root: Path, stop: asyncio.Event | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        self.root, self.debounce_ms = root, debounce_ms
        self._loop = asyncio.get_running_loop()
        self._bursts: asyncio.Queue[set[FileChange] | BaseException | None] = asyncio.Queue()
        self._halt = threading.Event()
        self._stopper = asyncio.ensure_future(stop.wait()) if stop is not None else None
        if self._stopper is not None:
            self._stopper.add_done_callback(lambda _: self._halt.set())
        threading.Thread(target=self._run, name="corpus watch", daemon=True).start()

    def _hand_over(self, item: set[FileChange] | BaseException | None) -> None:
        self._loop.call_soon_threadsafe(self._bursts.put_nowait, item)  # RuntimeError once it is closed

    def _run(self) -> None:
        try:
            for changes in watch(self.root, watch_filter=corpus_filter, debounce=self.debounce_ms,
                                 stop_event=self._halt, recursive=True, raise_interrupt=False):
                self._hand_over(changes)
            self._hand_over(None)
        except RuntimeError:  # the loop is gone: nobody to tell
            self._halt.set()
        except Exception as exc:  # the folder vanished, permissions...: the caller sees it
            with contextlib.suppress(RuntimeError):
                self._hand_over(exc)

    def __aiter__(self) -> CorpusChanges:
        return self

    async def __anext__(self) -> set[FileChange]:
        item = await self._bursts.get()
        if item is None or isinstance(item, BaseException):
            self.close()
            if item is None:
                raise StopAsyncIteration
            raise item
        return item

    def close(self) -> None:
        """The thread sees it within watchfiles' step (50 ms) and ends."""
        self._halt.set()
        if self._stopper is not None:
            self._stopper.cancel()


async def watch_corpus(root: Path, on_change: Callable[[], Awaitable[object]],
                       stop: asyncio.Event | None = None, debounce_ms: int = DEBOUNCE_MS,
                       catch_up: bool = False) -> None:
    """Call on_change() after every burst of changes under root, until stop is set.

    With catch_up, once at the start too (the watcher listening already, so nothing written
    meanwhile is missed): what changed while nobody watched (the bot was down, or killed during
    an update) is taken in without waiting for the next change. The ledger makes it cheap when
    nothing did. on_change failing is logged and the watch goes on: the next change tries again.
    """
    log.info("watching %s for changes", root)
    changes = CorpusChanges(root, stop, debounce_ms)
    try:
        if catch_up:
            await _update(on_change, "corpus: catching up with changes made while nobody watched")
        async for burst in changes:
            await settled({path for _, path in burst})
            await _update(on_change, f"corpus: {len(burst)} change(s), updating the index")
    finally:
        changes.close()


async def _update(on_change: Callable[[], Awaitable[object]], why: str) -> None:
    log.info("%s", why)
    try:
        await on_change()
    except Exception:  # a failed update keeps the old index; the next change retries
        log.exception("corpus: the update failed")
