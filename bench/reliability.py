"""The bot as a real process under faults: Bot API failures, a dead or frozen Chroma server, /reindex.

    python -m bench.reliability faults [--updates 1000] [--rate 0.2]
    python -m bench.reliability chroma [--timeout 5]
    python -m bench.reliability reindex [--questions 150]

faults: `python -m bot` polls bench/botapi.py, which answers 20% of getUpdates and sendMessage calls
with 429, 500 or a stall past the client's timeout (the call still takes effect); each update is a
question in its own chat, and each must be answered exactly once.
chroma: the bot reads the index from `chroma run`; the server is killed, then restarted; frozen
(SIGSTOP), then thawed (SIGCONT). Timed: question to the clear "can't reach" reply, and restart to
the first real answer. reindex: questions stream in while an admin's /reindex rebuilds an edited
corpus; an answer is missing if it does not come, or does not hold what the clean index answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from index import build_index

from .botapi import BotApi
from .common import ROOT, SHARED, read_jsonl, scratch_seed_config, table, write_json
from .loopback import chroma_server_process

QUESTIONS = [q["question"] for q in read_jsonl(SHARED / "eval" / "seed_qa.jsonl")]
CONTROL = "how many detained?"  # the seed coverage answers it: "more than 3,000"
CONTROL_SAYS = "3,000"
CANT_REACH = "can't reach the coverage"
ADMIN = 9001


def seed_index() -> tuple[Path, Path]:
    """(corpus, chroma) of the seed coverage, built in a scratch folder."""
    config = scratch_seed_config()
    build_index(config, progress=False)
    return config.corpus.path, config.chroma.path


def config_file(api: BotApi, corpus: Path, chroma: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-reliability-")) / "config.toml"
    path.write_text(f'[corpus]\npath = "{corpus}"\n[chroma]\n{chroma}\n'
                    f'[telegram]\nbase_url = "{api.base_url}"\nadmins = [{ADMIN}]\n'
                    f'[state]\npath = "{path.parent / "state.sqlite"}"\n', encoding="utf-8")
    return path


@contextlib.asynccontextmanager
async def bot_process(config: Path, api: BotApi):  # noqa: ANN201 - an async context manager
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    log = config.parent / "bot.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "telegram", "--config", str(config), cwd=ROOT,
            env={**environ, "TELEGRAM_BOT_TOKEN": api.token}, stdout=sink, stderr=sink)
        try:
            yield process
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            await asyncio.wait_for(process.wait(), 120)


async def faults(updates: int, rate: float) -> dict:
    corpus, chroma = seed_index()
    api = BotApi(fault_rate=rate)
    await api.start()
    config = config_file(api, corpus, f'path = "{chroma}"')
    started = time.monotonic()
    async with bot_process(config, api):
        for i in range(updates):
            api.message(10_000 + i, 10_000 + i, QUESTIONS[i % len(QUESTIONS)])
            if i % 50 == 49:  # in bursts, so the bot is never idle but its queue stays short
                await api.wait_for(lambda n=i: len({r.chat_id for r in api.replies}) > n - 50, 300)
        await api.wait_for(lambda: len({r.chat_id for r in api.replies}) >= updates, 600)
        await asyncio.sleep(api.stall + 3)  # anything late or doubled shows by now
    seconds = time.monotonic() - started
    await api.stop()
    counts = [len(api.to(10_000 + i)) for i in range(updates)]
    return {"updates": updates, "fault_rate": rate, "faults": api.faults, "answered_once": counts.count(1),
            "missing": counts.count(0), "doubled": sum(1 for c in counts if c > 1),
            "rejected_by_api": len(api.rejected), "seconds": seconds}


async def ask(api: BotApi, chat: int, question: str = CONTROL, timeout: float = 120) -> tuple[str, float]:
    """A question in a fresh chat: (the reply, seconds until it came); ("", timeout) if none."""
    asked = time.monotonic()
    api.message(chat, chat, question)
    if not await api.wait_for(lambda: api.to(chat), timeout):
        return "", timeout
    return api.to(chat)[0].text, api.to(chat)[0].at - asked


async def until_answered(api: BotApi, first_chat: int, limit: float = 180) -> float:
    """Ask every second until a real answer comes; seconds from now to that answer."""
    started, chat = time.monotonic(), first_chat
    while time.monotonic() - started < limit:
        text, _ = await ask(api, chat, timeout=30)
        if CONTROL_SAYS in text:
            return api.to(chat)[0].at - started
        chat += 1
        await asyncio.sleep(1)
    return float("inf")


async def chroma(timeout_s: float) -> list[dict]:
    _, path = seed_index()
    api = BotApi()
    await api.start()
    rows = []
    with chroma_server_process(path) as (port, server):
        config = config_file(api, path.parent / "corpus",
                             f'host = "127.0.0.1"\nport = {port}\ntimeout_s = {timeout_s}')
        async with bot_process(config, api):
            text, _ = await ask(api, 1, timeout=300)  # the bot is up and answering
            assert CONTROL_SAYS in text, text
            server.send_signal(signal.SIGSTOP)
            text, clear = await ask(api, 2)
            server.send_signal(signal.SIGCONT)
            rows.append({"fault": "frozen (SIGSTOP), then SIGCONT", "reply": text[:80],
                         "clear": CANT_REACH in text, "to_clear_message_s": clear,
                         "to_recovery_s": await until_answered(api, 100)})
            server.kill()
            server.wait()
            text, clear = await ask(api, 3)
            with chroma_server_process(path, port=port):
                rows.append({"fault": "killed (SIGKILL), then restarted", "reply": text[:80],
                             "clear": CANT_REACH in text, "to_clear_message_s": clear,
                             "to_recovery_s": await until_answered(api, 200)})
    await api.stop()
    return rows


def edit_corpus(corpus: Path) -> None:
    """A one-line edit to the live page and a new article: /reindex has real work to do."""
    page = next(corpus.iterdir())
    page.write_text(page.read_text(encoding="utf-8") + "\nA late update: the curfew was extended.\n",
                    encoding="utf-8")
    shutil.copy(page, corpus / "copy-of-live-page.txt")


async def reindex(questions: int) -> dict:
    corpus, chroma = seed_index()
    api = BotApi()
    await api.start()
    config = config_file(api, corpus, f'path = "{chroma}"')
    async with bot_process(config, api):
        text, _ = await ask(api, 1, timeout=300)
        assert CONTROL_SAYS in text, text
        edit_corpus(corpus)
        api.message(ADMIN, ADMIN, "/reindex")
        asked, chat = [], 1000
        began = time.monotonic()
        while len(asked) < questions:
            api.message(chat, chat, CONTROL)
            asked.append(chat)
            chat += 1
            await asyncio.sleep(0.1)
        await api.wait_for(lambda: all(api.to(c) for c in asked), 300)
        await api.wait_for(lambda: len(api.to(ADMIN)) >= 2, 300)  # "Reindexing…", then its report
        window = time.monotonic() - began
    await api.stop()
    missing = [c for c in asked if not api.to(c) or CONTROL_SAYS not in api.to(c)[0].text]
    return {"questions": len(asked), "missing": len(missing), "seconds": window,
            "admin_saw": [r.text[:120] for r in api.to(ADMIN)]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reliability", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["faults", "chroma", "reindex"])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=5.0, help="[chroma] timeout_s for the chroma run")
    parser.add_argument("--questions", type=int, default=150)
    args = parser.parse_args(argv)
    command = " ".join(["python -m bench.reliability", *(sys.argv[1:] if argv is None else argv)])
    if args.what == "faults":
        run = asyncio.run(faults(args.updates, args.rate))
        print(table(["updates", "faults injected", "answered once", "missing", "doubled", "minutes"],
                    [[run["updates"], run["faults"], run["answered_once"], run["missing"], run["doubled"],
                      run["seconds"] / 60]]))
    elif args.what == "chroma":
        run = {"timeout_s": args.timeout, "rows": asyncio.run(chroma(args.timeout))}
        print(table(["server", "clear message", "question to reply s", "to a real answer again s"],
                    [[r["fault"], r["clear"], r["to_clear_message_s"], r["to_recovery_s"]]
                     for r in run["rows"]]))
    else:
        run = asyncio.run(reindex(args.questions))
        print(table(["questions during /reindex", "answers missing", "seconds"],
                    [[run["questions"], run["missing"], run["seconds"]]]))
        print("admin saw:", run["admin_saw"])
    print(f"written: {write_json('reliability-' + args.what, {'command': command, **run})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
