"""Live coverage, once per process: the corpus watcher and the [[sources]] fetchers, for every front end."""

from __future__ import annotations

import asyncio
import contextlib

from .service import CoverageService


def start(service: CoverageService, stop: asyncio.Event) -> list[asyncio.Task]:
    """The watcher (when `[corpus] watch` is on) and the sources' fetchers, running until stop is set.

    One watcher per process: with Telegram and Slack side by side, the folder is watched and
    the engine updated once; every front end's announcer reads the same engine's new posts.
    """
    tasks = []
    if service.config.corpus.watch:
        tasks.append(asyncio.create_task(service.watch(stop), name="watch"))
    if service.config.sources:  # they write into the corpus folder; the watcher takes it from there
        from index.sources import run_sources

        tasks.append(asyncio.create_task(run_sources(service.config, stop), name="sources"))
    return tasks


async def finish(stop: asyncio.Event | None, tasks: list[asyncio.Task]) -> None:
    """Stop the tasks and wait for them: the watcher's thread is told through stop."""
    if stop is not None:
        stop.set()
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
