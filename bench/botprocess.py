"""The bot as a real process: cold start to first answer, and its memory, through the Bot API stand-in.

    python -m bench.botprocess [--size seed|1000|all] [--light] [--runs 3] [--questions 30]

`python -m bot` is started with a question already waiting at the stand-in; cold start runs
from spawning the process to that answer's sendMessage arriving. Then it answers more
questions, one at a time, and its RSS (now and peak, from /proc) is read before it is
stopped. --size picks bench.ingest's index of that slice (--light: the one-layer-model index);
--server serves it from `chroma run` on a loopback port, outside the bot's process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from index import build_index
from tests.standin import BotApiStandIn

from .common import ROOT, SHARED, memory_mb, read_jsonl, scratch_seed_config, table, write_config, write_json
from .loopback import chroma_server
from .scale import scale_config

SEED_QUESTION = "how many detained?"


def index_config(size: str, light: bool) -> tuple[Path, Path, list[str]]:
    """(corpus, chroma path, questions) of the index to serve."""
    if size == "seed":
        config = scratch_seed_config()
        build_index(config, progress=False)
        questions = [q["question"] for q in read_jsonl(SHARED / "eval" / "seed_qa.jsonl")]
        return config.corpus.path, config.chroma.path, questions
    config, _ = scale_config(None if size == "all" else int(size), light)
    questions = [q["question"] for q in read_jsonl(SHARED / "eval" / "realtimeqa" / "qa.jsonl")]
    return config.corpus.path, config.chroma.path, random.Random(0).sample(questions, 200)


async def one_run(corpus: Path, store: dict, questions: list[str], count: int) -> dict:
    standin = BotApiStandIn()
    await standin.start()
    config = write_config(Path(tempfile.gettempdir()) / f"bench-botprocess-{os.getpid()}.toml", {
        "corpus": {"path": corpus}, "chroma": store, "telegram": {"base_url": standin.base_url}})
    standin.message(1, 1, questions[0])
    start = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), cwd=ROOT,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": standin.token},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        await standin.wait_for(lambda: standin.sent(1), timeout=600)
        figures = {"cold_start_s": time.monotonic() - start, "after_first": memory_mb(process.pid)}
        latencies = []
        for i, question in enumerate(questions[1:count + 1], start=2):
            asked = time.monotonic()
            standin.message(i, i, question)
            await standin.wait_for(lambda chat=i: standin.sent(chat), timeout=120)
            latencies.append(standin.sent(i)[0].at - asked)
        figures.update(answer_median_s=statistics.median(latencies) if latencies else None,
                       after_answers=memory_mb(process.pid))
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), 120)
        await standin.stop()
        config.unlink(missing_ok=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.botprocess", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="seed", help="seed, or an article count of bench.ingest, or all")
    parser.add_argument("--light", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--server", action="store_true", help="the index served by `chroma run`")
    args = parser.parse_args(argv)
    corpus, chroma, questions = index_config(args.size, args.light)
    with contextlib.ExitStack() as stack:
        store: dict = {"path": chroma}
        if args.server:
            store = {"host": "127.0.0.1", "port": stack.enter_context(chroma_server(chroma))}
        runs = [asyncio.run(one_run(corpus, store, questions, args.questions)) for _ in range(args.runs)]
    cold = statistics.median(r["cold_start_s"] for r in runs)
    rss = max(r["after_answers"]["rss_mb"] for r in runs)
    peak = max(r["after_answers"]["peak_rss_mb"] for r in runs)
    label = args.size + (" (light)" if args.light else "") + (", Chroma server" if args.server else "")
    print(table(["index", "cold start to first answer s (median)", "answer median s", "RSS MB",
                 "peak RSS MB"], [[label, cold,
                  statistics.median(r["answer_median_s"] for r in runs), rss, peak]]))
    name = f"botprocess-{args.size}" + ("-light" if args.light else "") + ("-server" if args.server else "")
    command = " ".join(["python -m bench.botprocess", *(sys.argv[1:] if argv is None else argv)])
    print(f"written: {write_json(name, {'command': command, 'runs': runs})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
