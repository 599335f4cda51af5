"""Freshness: seconds from a post appearing (file written) to answer() citing it, and a 304 poll's cost."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import web

from index import Engine, build_index
from index.config import SourceConfig, config_from_dict
from index.sources import SourceStatus, make_client, poll
from index.watch import watch_corpus

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "kazakhstan-live-updates.txt"
NEWS = ROOT.parent / "shared" / "data" / "news" / "bbc_news.jsonl.gz"  # read at run time, never copied
TOWNS = ["Aralsk", "Balkhash", "Kentau", "Lisakovsk", "Ridder", "Saran", "Temirtau", "Zhanatas"]


def live_page(n: int) -> str:
    posts = "".join(f"## Water restored in {TOWNS[i % len(TOWNS)]} district {i}\n\n"
                    f"Engineers restored water to {1000 + i} homes in {TOWNS[i % len(TOWNS)]} "
                    f"district {i} on Sunday, officials said.\n\n" for i in range(n, 0, -1))
    return f"---\ntitle: Water outages live\npublished: 2025-03-02\n---\n\n{posts}"


def background(corpus: Path, n: int) -> None:
    """n shared news articles, written as one JSON-lines file into the temporary corpus."""
    with gzip.open(NEWS, "rt", encoding="utf-8") as src, (corpus / "background.jsonl").open("w") as out:
        for i, line in enumerate(src):
            if i == n:
                break
            out.write(line if line.endswith("\n") else line + "\n")


async def appended(engine: Engine, page: Path, rounds: int) -> tuple[list[float], list[int]]:
    """Append a post per round; seconds until it is cited, and chunks embedded for it."""
    stop, reports = asyncio.Event(), []

    async def update() -> None:
        reports.append(await asyncio.to_thread(engine.update))

    task = asyncio.create_task(watch_corpus(page.parent, update, stop))
    await asyncio.sleep(1.0)
    seconds, chunks = [], []
    for n in range(2, 2 + rounds):
        town = TOWNS[n % len(TOWNS)]
        want = f"page.md#water-restored-in-{town.lower()}-district-{n}"
        before = len(reports)
        started = time.perf_counter()
        page.write_text(live_page(n), encoding="utf-8")
        while True:
            question = f"How many homes got water back in {town} district {n}?"
            answer = await asyncio.to_thread(engine.answer, question)
            if any(c.post_id == want for c in answer.citations):
                break
            await asyncio.sleep(0.1)
        seconds.append(time.perf_counter() - started)
        chunks.append(sum(r.chunks_embedded for r in reports[before:]))
    stop.set()
    await asyncio.wait_for(task, 30)
    return seconds, chunks


async def unchanged_poll(rounds: int = 20) -> float:
    """Median milliseconds of polling an unchanged page on a loopback server (one 304)."""
    body = ("<html><body><article><h1>Live</h1><p>" + "Words of the page. " * 200
            + "</p></article></body></html>")

    async def handler(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(text=body, content_type="text/html", headers={"ETag": '"v1"'})

    app = web.Application()
    app.router.add_get("/live", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/live"
    times = []
    with tempfile.TemporaryDirectory() as corpus:
        status = SourceStatus(url, "page", "bench")
        async with make_client() as client:
            await poll(client, SourceConfig(page=url), status, Path(corpus))
            for _ in range(rounds):
                started = time.perf_counter()
                await poll(client, SourceConfig(page=url), status, Path(corpus))
                times.append((time.perf_counter() - started) * 1000)
                assert status.status == "unchanged"
    await runner.cleanup()
    return statistics.median(times)


def run(articles: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="freshness-") as tmp:
        base = Path(tmp)
        corpus = base / "corpus"
        corpus.mkdir()
        shutil.copy(SEED, corpus / SEED.name)
        if articles:
            background(corpus, articles)
        page = corpus / "page.md"
        page.write_text(live_page(1), encoding="utf-8")
        config = config_from_dict({"corpus": {"path": str(corpus)}, "chroma": {"path": str(base / "chroma")}},
                                  base_dir=base)
        built = build_index(config, progress=False)
        engine = Engine(config)
        seconds, chunks = asyncio.run(appended(engine, page, rounds))
    return {"background_articles": articles, "indexed_articles": built.articles, "rounds": rounds,
            "median_s": round(statistics.median(seconds), 2), "max_s": round(max(seconds), 2),
            "chunks_per_appended_post": chunks, "unchanged_poll_ms": round(asyncio.run(unchanged_poll()), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.freshness", description=__doc__)
    parser.add_argument("--articles", type=int, default=0,
                        help="background articles from ../shared (e.g. 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="posts appended, one at a time")
    args = parser.parse_args()
    print(json.dumps(run(args.articles, args.rounds)))


if __name__ == "__main__":
    main()
