"""Live coverage in the real `python -m bot` process: the real watcher on real files, the Bot API stand-in."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from pathlib import Path

from bench.killbuild import snapshot

from .botharness import text_of
from .conftest import ROOT, bbc_articles, write_jsonl
from .standin import BotApiStandIn
from .test_bot_process import start_bot, stop_bot
from .test_follow import HARBOUR, RETURN, TALKS, WALKOUT, page
from .test_frontends_revoked import read_until

CHAT = 61
NEWS = "New in the coverage"


async def built(base: Path, telegram_url: str = "http://127.0.0.1:9/bot", extra: str = "") -> Path:
    """base/config.toml over base/corpus and base/chroma, the index built by `python -m index build`."""
    config = base / "config.toml"
    config.write_text(f'[corpus]\npath = "{base / "corpus"}"\n[chroma]\npath = "chroma"\n'
                      f'[state]\npath = "state.sqlite"\n[telegram]\nbase_url = "{telegram_url}"\n{extra}',
                      encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "index", "build", "--config", str(config), "--no-progress", cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, err.decode()
    return config


async def clean_snapshot(corpus: Path, base: Path) -> str:
    """What a clean build of this folder holds (bench.killbuild's digest of chunks and ledger)."""
    base.mkdir()
    shutil.copytree(corpus, base / "corpus")
    await built(base)
    return snapshot(base)


def news(standin: BotApiStandIn) -> list[str]:
    return [text_of(c) for c in standin.sent(CHAT) if text_of(c).startswith(NEWS)]


async def said(standin: BotApiStandIn, text: str, timeout: float = 120) -> str:
    """The bot's reply to one message in CHAT."""
    before = len(standin.sent(CHAT))
    standin.message(CHAT, CHAT, text)
    await standin.wait_for(lambda: len(standin.sent(CHAT)) > before, timeout)
    return text_of(standin.sent(CHAT)[before])


async def test_a_post_added_to_a_live_page_reaches_its_follower_once_and_nothing_doubles_after_a_restart(
        tmp_path, standin):
    write_jsonl(tmp_path / "corpus", [HARBOUR])
    config = await built(tmp_path, standin.base_url)
    live = tmp_path / "corpus" / "ferry.md"
    process = await start_bot(config, standin.token)
    try:
        assert "Following" in await said(standin, "/follow")
        live.write_text(page([TALKS, WALKOUT]), encoding="utf-8")
        await standin.wait_for(lambda: news(standin), timeout=90)
        assert "unpaid wages" in await said(standin, "Why did the ferry crews walk out?")  # no restart
        await asyncio.sleep(3)
        [first] = news(standin)  # both posts, in one message
        assert "Ferry crews walk out" in first and "Talks called off" in first
    finally:
        code, log = await stop_bot(process)
    assert code == 0, log

    process = await start_bot(config, standin.token)  # the same folder, index and followers
    try:
        assert "unpaid wages" in await said(standin, "Why did the ferry crews walk out?")
        live.write_text(page([RETURN, TALKS, WALKOUT]), encoding="utf-8")
        await standin.wait_for(lambda: len(news(standin)) == 2, timeout=90)
        await asyncio.sleep(3)
        assert len(news(standin)) == 2
        latest = news(standin)[1]
        assert "Crews return" in latest  # the new post alone: the older ones are not told again
        assert "Ferry crews walk out" not in latest and "Talks called off" not in latest
    finally:
        code, log = await stop_bot(process)
    assert code == 0, log
    # Nothing doubled: the index holds exactly what a clean build of the folder holds.
    assert snapshot(tmp_path) == await clean_snapshot(tmp_path / "corpus", tmp_path / "clean")


async def test_a_sigkill_during_an_update_leaves_an_index_the_restart_completes(tmp_path, standin):
    write_jsonl(tmp_path / "corpus", [HARBOUR])
    config = await built(tmp_path, standin.base_url)
    process = await start_bot(config, standin.token, PYTHONUNBUFFERED="1")
    try:
        caught = await asyncio.wait_for(read_until(process, "build: "), 120)  # its catch-up at start
        assert "catching up" in caught
        # Forty articles take several seconds to embed even on an idle machine (ten once finished
        # in 1.2 s): the kill, half a second in, lands inside the update.
        write_jsonl(tmp_path / "corpus", bbc_articles(40), name="bbc.jsonl")
        seen = await asyncio.wait_for(read_until(process, "updating the index"), 60)
        assert "updating the index" in seen
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGKILL)
        code, log = await stop_bot(process, interrupt=False)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert code == -signal.SIGKILL and "build: " not in seen + log, "the update finished before the kill"

    process = await start_bot(config, standin.token, PYTHONUNBUFFERED="1")
    try:  # the restart catches up with the folder, so the cut-short update is completed
        caught = await asyncio.wait_for(read_until(process, "build: "), 180)
        assert "catching up" in caught
        assert "Aktau" in await said(standin, "Where did the harbour reopen?")
    finally:
        code, log = await stop_bot(process)
    assert code == 0, log
    assert snapshot(tmp_path) == await clean_snapshot(tmp_path / "corpus", tmp_path / "clean")
