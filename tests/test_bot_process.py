"""`python -m bot --config PATH` as a real process, polling or on a webhook, against the Bot API stand-in."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from .conftest import ROOT
from .loopback import free_port

QUESTION = "how many detained?"


def write_config(tmp_path: Path, seed_engine, base_url: str, extra: str = "") -> Path:
    """A config over a copy of the built seed index, so the process never shares a store with the tests."""
    shutil.copytree(seed_engine.config.chroma.path, tmp_path / "chroma")
    config = tmp_path / "config.toml"
    config.write_text(f'[corpus]\npath = "{seed_engine.config.corpus.path}"\n'
                      f'[chroma]\npath = "chroma"\n'
                      f'[telegram]\nbase_url = "{base_url}"\n{extra}', encoding="utf-8")
    return config


async def start_bot(config: Path, token: str, **env: str) -> asyncio.subprocess.Process:
    environ = {**os.environ, "TELEGRAM_BOT_TOKEN": token, **env}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), cwd=ROOT, env=environ,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop_bot(process: asyncio.subprocess.Process, interrupt: bool = True,
                   sig: int = signal.SIGINT) -> tuple[int, str]:
    """SIGINT (as Ctrl-C would) or `sig` (SIGTERM, as a service manager would), or wait for the bot
    to stop by itself; returns the exit code and everything logged."""
    if interrupt and process.returncode is None:
        process.send_signal(sig)
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, stderr.decode("utf-8", "replace")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_polling_process_registers_commands_answers_and_stops_cleanly(tmp_path, seed_engine, standin,
                                                                           sig):
    """With the corpus watcher on (the default): Ctrl-C and SIGTERM both end the process, code 0."""
    process = await start_bot(write_config(tmp_path, seed_engine, standin.base_url), standin.token)
    try:
        await standin.wait_for(lambda: standin.calls_of("setMyCommands"), timeout=120)
        commands = {c["command"] for c in standin.calls_of("setMyCommands")[0].params["commands"]}
        assert {"start", "help", "ask", "sources", "new"} <= commands
        standin.message(41, 41, QUESTION)
        await standin.wait_for(lambda: standin.sent(41), timeout=60)
        assert "more than 3,000" in standin.sent(41)[0].result["text"]
    finally:
        code, log = await asyncio.wait_for(stop_bot(process, sig=sig), 30)  # not a lingering watcher
    assert code == 0, log
    assert "Application started" in log and "watching" in log
    assert standin.token not in log and standin.token.split(":")[1] not in log


async def test_webhook_process_checks_the_secret_and_answers(tmp_path, seed_engine, standin):
    port = free_port()
    extra = (f'webhook_url = "http://127.0.0.1:{port}"\nwebhook_listen = "127.0.0.1"\n'
             f"webhook_port = {port}\n")
    secret = "webhook-secret-for-tests"
    process = await start_bot(write_config(tmp_path, seed_engine, standin.base_url, extra), standin.token,
                              TELEGRAM_WEBHOOK_SECRET=secret)
    try:
        await standin.wait_for(lambda: standin.calls_of("setWebhook"), timeout=120)
        registered = standin.calls_of("setWebhook")[0].params
        assert registered["url"] == f"http://127.0.0.1:{port}/telegram"
        assert registered["secret_token"] == secret
        url = f"http://127.0.0.1:{port}/telegram"
        async with aiohttp.ClientSession() as session:
            standin.message(42, 42, QUESTION)
            update = standin.take_update()
            # PTB registers the webhook before its server listens, as Telegram would retry, so do we.
            assert await post_when_listening(session, url, update, "guess") == 403
            await standin.quiet(1.0)
            assert not standin.sent(42)
            assert await post_when_listening(session, url, update, secret) == 200
        await standin.wait_for(lambda: standin.sent(42), timeout=60)
        assert "more than 3,000" in standin.sent(42)[0].result["text"]
    finally:
        code, log = await stop_bot(process)
    assert code == 0, log
    assert secret not in log and standin.token not in log


async def test_a_rejected_token_stops_with_a_clear_message(tmp_path, seed_engine, standin):
    wrong = "999:wrong-token-that-must-not-be-logged"
    process = await start_bot(write_config(tmp_path, seed_engine, standin.base_url), wrong)
    code, log = await stop_bot(process, interrupt=False)
    assert code == 3
    assert "rejected TELEGRAM_BOT_TOKEN" in log and "wrong-token" not in log
    assert [c.status for c in standin.calls_of("getMe")] == [401]


# With the watcher too: watchfiles' awatch() once left a non-daemon anyio thread that kept the
# revoked process alive (see index/watch.CorpusChanges).
@pytest.mark.parametrize("watch", [False, True])
async def test_a_token_revoked_mid_run_stops_the_process_with_code_3(tmp_path, seed_engine, standin, watch):
    config = write_config(tmp_path, seed_engine, standin.base_url)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[chroma]", f"watch = {str(watch).lower()}\n[chroma]", 1), encoding="utf-8")
    process = await start_bot(config, standin.token, PYTHONUNBUFFERED="1")
    try:
        standin.message(43, 43, QUESTION)
        await standin.wait_for(lambda: standin.sent(43), timeout=120)
        issued, standin.token = standin.token, "revoked"  # every call from now on is 401 Unauthorized
        # PTB gives up polling at once; the process must follow, not linger answering nothing.
        await asyncio.wait_for(process.wait(), 45)
    finally:
        code, log = await stop_bot(process)
    assert code == 3, log
    assert "rejected TELEGRAM_BOT_TOKEN" in log
    assert issued not in log and issued.split(":")[1] not in log


async def test_an_unreachable_bot_api_stops_with_a_clear_message(tmp_path, seed_engine, standin):
    dead = f"http://127.0.0.1:{free_port()}/bot"
    process = await start_bot(write_config(tmp_path, seed_engine, dead), standin.token)
    code, log = await stop_bot(process, interrupt=False)
    assert code == 3
    assert f"cannot reach the Bot API at {dead}" in log
    assert standin.token not in log


async def post_when_listening(session: aiohttp.ClientSession, url: str, update: dict, secret: str) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    for _ in range(200):
        try:
            async with session.post(url, json=update, headers=headers) as response:
                return response.status
        except aiohttp.ClientConnectorError:
            await asyncio.sleep(0.1)
    raise TimeoutError(f"nothing listens on {url}")
