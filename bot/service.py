"""The engine as the bot's event loop sees it: every call runs in worker threads, never on the loop."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from index import Answer, BuildReport, Config, Engine, Stats

log = logging.getLogger(__name__)


class CoverageService:
    """Answers, stats and reindexing for async front ends."""

    # Answering is CPU-bound (one query embedding, BM25, sentence scoring); more threads
    # than cores only add contention. Reindexing gets its own thread so answers go on.
    ANSWER_THREADS = 2
    # With more answers than this in flight, the bot is busy: "typing…" indicators are skipped,
    # since at Telegram's 30 calls a second the answers themselves need that budget.
    BUSY_ANSWERS = 8

    def __init__(self, engine: Engine, config: Config, workers: int = ANSWER_THREADS) -> None:
        self.engine = engine
        self.config = config
        self._answers = ThreadPoolExecutor(workers, thread_name_prefix="answer")
        self._builds = ThreadPoolExecutor(1, thread_name_prefix="reindex")
        self._reindexing = asyncio.Lock()
        self._in_flight = 0
        self.last_build: BuildReport | None = None  # the last reindex's report, whoever asked for it

    async def answer(self, question: str, history: Sequence[Answer] = (),
                     on_token: Callable[[str], None] | None = None) -> Answer:
        self._in_flight += 1
        # Only a writing model streams: the extractive engine is called exactly as before.
        writes = on_token is not None and self.config.answer.backend == "llm"
        streaming = {"on_token": on_token} if writes else {}
        try:
            return await self._run(self._answers, self.engine.answer, question, history=tuple(history),
                                   **streaming)
        finally:
            self._in_flight -= 1

    def busy(self) -> bool:
        return self._in_flight > self.BUSY_ANSWERS

    async def stats(self) -> Stats:
        return await self._run(self._answers, self.engine.stats)

    @property
    def reindexing(self) -> bool:
        return self._reindexing.locked()

    async def reindex(self) -> BuildReport:
        """Bring the index in line with the corpus, then switch answers over to it."""
        async with self._reindexing:
            report = await self._run(self._builds, self.engine.update)
            self.last_build = report
            return report

    async def watch(self, stop: asyncio.Event | None = None) -> None:
        """Reindex once at the start (what changed while the bot was down, or an update a kill cut
        short), then after every burst of changes in the corpus folder, until stop is set."""
        from index.watch import watch_corpus

        await watch_corpus(self.config.corpus.path, self.reindex, stop, catch_up=True)

    def close(self) -> None:
        self._answers.shutdown(wait=False, cancel_futures=True)
        self._builds.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    async def _run(pool: ThreadPoolExecutor, func: Any, *args: Any, **kwargs: Any) -> Any:
        call = functools.partial(func, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(pool, call)
