"""The corpus watcher: real watchfiles on real files, updating a real engine."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from index import Engine, build_index
from index.store import Store
from index.watch import watch_corpus

from .conftest import make_config, write_jsonl

HARBOUR = {"id": "harbour", "title": "Harbour reopens", "published": "2025-03-01",
           "text": "The harbour at Aktau reopened on Tuesday after storm repairs."}
PAGE = """---
title: Ferry strike live
published: 2025-03-02
---

## Ferry crews walk out

Ferry crews at Kuryk walked out at dawn over unpaid wages.

## Talks called off

Talks between the crews and the operator were called off at noon.
"""


async def until(check, timeout: float = 90.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "not seen in time"
        await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def watching(engine: Engine):
    stop = asyncio.Event()
    task = asyncio.create_task(watch_corpus(engine.config.corpus.path,
                                            lambda: asyncio.to_thread(engine.update), stop))
    await asyncio.sleep(0.5)  # the watcher is listening
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def cited(engine: Engine, question: str, post_id: str) -> bool:
    return any(c.post_id == post_id for c in engine.answer(question).citations)


async def test_a_new_file_is_answerable_and_a_removed_one_gone(tmp_path: Path) -> None:
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", [HARBOUR]))
    build_index(config, progress=False)
    engine = Engine(config)
    async with watching(engine):
        (config.corpus.path / "ferry.md").write_text(PAGE, encoding="utf-8")
        await until(lambda: cited(engine, "Why did the ferry crews walk out?",
                                  "ferry.md#ferry-crews-walk-out"))
        (config.corpus.path / "ferry.md").unlink()
        await until(lambda: "ferry.md" not in Store.open(config.chroma).read_ledger())
    _, posts = engine.new_posts()
    assert [p.post_id for p in posts] == ["ferry.md#ferry-crews-walk-out", "ferry.md#talks-called-off"]


async def test_a_file_written_half_way_is_read_again_when_complete(tmp_path: Path) -> None:
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", [HARBOUR]))
    build_index(config, progress=False)
    engine = Engine(config)
    path = config.corpus.path / "ferry.md"
    half = PAGE.index("## Talks")
    ledger = lambda: Store.open(config.chroma).read_ledger()  # noqa: E731
    async with watching(engine):
        with path.open("w", encoding="utf-8") as handle:
            handle.write(PAGE[:half])
            handle.flush()
            await until(lambda: "ferry.md" in ledger())  # the first half was indexed
            assert len(ledger()["ferry.md"].layout) == 1
            handle.write(PAGE[half:])
        await until(lambda: len(ledger().get("ferry.md").layout) == 2)
        await until(lambda: cited(engine, "When were the talks called off?", "ferry.md#talks-called-off"))
    assert Store.open(config.chroma).count_chunks() == 3  # nothing doubled


async def test_a_burst_of_files_is_one_update(tmp_path: Path) -> None:
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", [HARBOUR]))
    build_index(config, progress=False)
    engine = Engine(config)
    updates = []

    async def update() -> None:
        updates.append(await asyncio.to_thread(engine.update))

    stop = asyncio.Event()
    task = asyncio.create_task(watch_corpus(config.corpus.path, update, stop))
    await asyncio.sleep(0.5)
    for n in range(5):
        (config.corpus.path / f"note{n}.txt").write_text(
            f"Note {n}\n\nThe depot at site {n} closed for inspection on Monday.\n", encoding="utf-8")
    await until(lambda: sum(r.added for r in updates) == 5)
    await asyncio.sleep(1.5)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert len(updates) == 1
