"""Freshness: seconds from a post appearing (file written) to answer() citing it, and a 304 poll's cost.

    python -m bench.freshness [--articles 5000] [--rounds 5] [--threads 1] [--overlap]

With --articles N the index also holds N background articles read from ../shared at run time: the
2,225 BBC articles, then RealTime QA articles of a BBC-like length (300 to 4,000 characters), in file
order. Their index is built once and kept under ~/.cache/coverage-bot/freshness, keyed by the
article set, the seed and the build signature (model and chunking); a rerun copies it (with its
files' times, so the build trusts them) instead of embedding them again.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from aiohttp import web

from index import Config, Engine, build_index
from index.build import build_signature
from index.config import SourceConfig, config_from_dict
from index.sources import SourceStatus, make_client, poll
from index.watch import watch_corpus

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "kazakhstan-live-updates.txt"
SHARED_NEWS = ROOT.parent / "shared" / "data" / "news"  # read at run time, never copied into the repo
NEWS = SHARED_NEWS / "bbc_news.jsonl.gz"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "coverage-bot" / "freshness"
TOWNS = ["Aralsk", "Balkhash", "Kentau", "Lisakovsk", "Ridder", "Saran", "Temirtau", "Zhanatas"]


def live_page(n: int) -> str:
    posts = "".join(f"## Water restored in {TOWNS[i % len(TOWNS)]} district {i}\n\n"
                    f"Engineers restored water to {1000 + i} homes in {TOWNS[i % len(TOWNS)]} "
                    f"district {i} on Sunday, officials said.\n\n" for i in range(n, 0, -1))
    return f"---\ntitle: Water outages live\npublished: 2025-03-02\n---\n\n{posts}"


def background(n: int) -> list[str]:
    """n shared news articles as JSON lines: the BBC set, then RealTime QA articles of BBC-like length."""
    lines: list[str] = []
    for path in [NEWS, *sorted(SHARED_NEWS.glob("realtimeqa_articles-*.jsonl.gz"))]:
        with gzip.open(path, "rt", encoding="utf-8") as src:
            for line in src:
                if len(lines) == n:
                    return lines
                # A RealTime QA article averages 9,000 characters, four BBC ones: the short ones
                # keep 5,000 articles near BBC size, so the build takes minutes, not an hour.
                if path == NEWS or 300 <= len(json.loads(line)["text"]) <= 4000:
                    lines.append(line if line.endswith("\n") else line + "\n")
    return lines


def bench_config(base: Path) -> Config:
    chroma = {"path": str(base / "chroma"), "keyword_cache": str(base / "keywords")}
    return config_from_dict({"corpus": {"path": str(base / "corpus")}, "chroma": chroma}, base_dir=base)


def background_index(articles: int) -> tuple[Path, float | None]:
    """A built index of the seed and the background articles, from the cache when it has it:
    its folder, and the seconds its build took (None when it came from the cache)."""
    lines = background(articles)
    digest = hashlib.sha256(SEED.read_bytes())
    digest.update("".join(lines).encode())
    digest.update(build_signature(bench_config(CACHE)).encode())
    folder = CACHE / f"{articles}-{digest.hexdigest()[:16]}"
    if (folder / "complete").is_file():
        return folder, None
    # A build that was stopped goes on where it stopped: its ledger says what is embedded already.
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in ((SEED.name, SEED.read_text(encoding="utf-8")), ("background.jsonl", "".join(lines))):
        if not (corpus / name).is_file():  # written whole or not at all, so that a stop leaves no half file
            (corpus / f".{name}.tmp").write_text(text, encoding="utf-8")
            (corpus / f".{name}.tmp").rename(corpus / name)
    started = time.perf_counter()
    build_index(bench_config(folder), progress=True)  # minutes: the bar shows it moves
    seconds = time.perf_counter() - started
    (folder / "complete").write_text(f"{seconds:.1f}\n", encoding="utf-8")
    return folder, seconds


async def appended(engine: Engine, page: Path, rounds: int,
                   overlap: bool = False) -> tuple[list[float], list[int], list[dict]]:
    """Append a post per round; seconds until it is cited, chunks embedded for it, and each
    update's build and reload seconds. overlap: the next post is written as soon as this one is
    cited, while its update may still be reloading (chunks are then counted roughly)."""
    stop, reports, updates = asyncio.Event(), [], []

    async def update() -> None:
        started = time.perf_counter()
        report = await asyncio.to_thread(engine.update)
        wall = time.perf_counter() - started
        reports.append(report)
        updates.append({"build_s": round(report.seconds, 2), "reload_s": round(wall - report.seconds, 2)})

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
        # update() reloads the engine before it returns its report: an answer can cite the post
        # first, and the report would be counted in the next round.
        for _ in range(0 if overlap else 300):
            if len(reports) > before:
                break
            await asyncio.sleep(0.1)
        chunks.append(sum(r.chunks_embedded for r in reports[before:]))
    stop.set()
    await asyncio.wait_for(task, 30)
    return seconds, chunks, updates


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


def run(articles: int, rounds: int, overlap: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="freshness-") as tmp:
        base = Path(tmp) / "index"
        built_s = None
        if articles:
            cached, built_s = background_index(articles)
            # copy2 keeps the files' times, so the build below trusts the background's stamps
            shutil.copytree(cached, base, ignore=shutil.ignore_patterns("complete"))
        else:
            (base / "corpus").mkdir(parents=True)
            shutil.copy(SEED, base / "corpus" / SEED.name)
        config = bench_config(base)
        page = config.corpus.path / "page.md"
        page.write_text(live_page(1), encoding="utf-8")
        built = build_index(config, progress=False)
        started = time.perf_counter()
        engine = Engine(config)
        load_s = time.perf_counter() - started
        seconds, chunks, updates = asyncio.run(appended(engine, page, rounds, overlap))
        total_chunks = engine.stats().chunks
    return {"background_articles": articles, "indexed_articles": built.articles, "chunks": total_chunks,
            "background_build_s": None if built_s is None else round(built_s, 1),
            "engine_load_s": round(load_s, 1), "rounds": rounds, "overlap": overlap,
            "seconds": [round(x, 2) for x in seconds],
            "median_s": round(statistics.median(seconds), 2), "max_s": round(max(seconds), 2),
            "chunks_per_appended_post": chunks, "updates": updates,
            "unchanged_poll_ms": round(asyncio.run(unchanged_poll()), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.freshness", description=__doc__)
    parser.add_argument("--articles", type=int, default=0,
                        help="background articles from ../shared (e.g. 5000)")
    parser.add_argument("--rounds", type=int, default=5, help="posts appended, one at a time")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads for the embedding (0: torch's default, which two shared cores "
                             "make contend)")
    parser.add_argument("--overlap", action="store_true",
                        help="write each post as soon as the last is cited, before its update has finished")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    print(json.dumps(run(args.articles, args.rounds, args.overlap)))


if __name__ == "__main__":
    main()
