"""`python -m bot [slack]` as a real process: Slack alone, Slack beside Telegram, a refused Slack token."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .slack_standin import APP_TOKEN, BOT_TOKEN, BOT_USER, SlackStandIn
from .slackharness import shown
from .standin import BotApiStandIn

QUESTION = "how many detained?"
CHANNEL = "C0PROC01"


def write_config(tmp_path: Path, seed_engine, slack_url: str,
                 telegram_url: str = "http://127.0.0.1:9/bot") -> Path:
    """A config over a copy of the built seed index, so the process never shares a store with the tests."""
    shutil.copytree(seed_engine.config.chroma.path, tmp_path / "chroma")
    config = tmp_path / "config.toml"
    config.write_text(f'[corpus]\npath = "{seed_engine.config.corpus.path}"\n[chroma]\npath = "chroma"\n'
                      f'[telegram]\nbase_url = "{telegram_url}"\n[slack]\nbase_url = "{slack_url}"\n',
                      encoding="utf-8")
    return config


async def start(config: Path, *args: str, **env: str) -> asyncio.subprocess.Process:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), *args, cwd=ROOT, env={**environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def stop(process: asyncio.subprocess.Process, interrupt: bool = True) -> tuple[int, str]:
    if interrupt and process.returncode is None:
        process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode, stderr.decode("utf-8", "replace")


@pytest.fixture
async def slack():
    server = SlackStandIn()
    await server.start()
    yield server
    await server.stop()


def mention(slack: SlackStandIn) -> dict:
    event = {"type": "app_mention", "user": "UALICE01", "text": f"<@{BOT_USER}> {QUESTION}",
             "ts": slack.next_ts(), "channel": CHANNEL, "event_ts": "0"}
    return {"type": "event_callback", "team_id": "T0TEAM01", "api_app_id": "A0STANDIN",
            "event_id": "Ev0PROC01", "event": event}


async def test_slack_alone_in_socket_mode_answers_and_stops_cleanly(tmp_path, seed_engine, slack):
    config = write_config(tmp_path, seed_engine, slack.base_url)
    process = await start(config, "slack", SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN)
    try:
        await slack.push(mention(slack))  # waits for the app to connect
        await slack.wait_for(lambda: slack.posted(CHANNEL), timeout=120)
        assert "more than 3,000" in shown(slack.posted(CHANNEL)[0])
    finally:
        code, log = await stop(process)
    assert code == 0, log
    assert BOT_TOKEN not in log and APP_TOKEN not in log


async def test_a_rejected_slack_token_stops_slack_alone_with_exit_code_3(tmp_path, seed_engine, slack):
    config = write_config(tmp_path, seed_engine, slack.base_url)
    wrong = "xoxb-999-wrong-token-that-must-not-be-logged"
    process = await start(config, "slack", SLACK_BOT_TOKEN=wrong, SLACK_APP_TOKEN=APP_TOKEN)
    code, log = await stop(process, interrupt=False)
    assert code == 3, log
    lines = [line for line in log.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "rejected SLACK_BOT_TOKEN (invalid_auth)" in lines[0]
    assert "wrong-token" not in log and APP_TOKEN not in log


async def test_both_front_ends_run_in_one_process_and_a_bad_one_stops_alone(tmp_path, seed_engine, slack):
    telegram = BotApiStandIn()
    await telegram.start()
    config = write_config(tmp_path, seed_engine, slack.base_url, telegram.base_url)
    try:
        process = await start(config, TELEGRAM_BOT_TOKEN=telegram.token, SLACK_BOT_TOKEN=BOT_TOKEN,
                              SLACK_APP_TOKEN=APP_TOKEN)
        try:
            await slack.push(mention(slack))
            telegram.message(41, 41, QUESTION)
            await slack.wait_for(lambda: slack.posted(CHANNEL), timeout=120)
            await telegram.wait_for(lambda: telegram.sent(41), timeout=120)
        finally:
            code, log = await stop(process)
        assert code == 0, log
        slack.bot_token = "xoxb-rotated-elsewhere"  # the next start's token is refused
        process = await start(config, TELEGRAM_BOT_TOKEN=telegram.token, SLACK_BOT_TOKEN=BOT_TOKEN,
                              SLACK_APP_TOKEN=APP_TOKEN)
        try:
            telegram.message(42, 42, QUESTION)
            await telegram.wait_for(lambda: telegram.sent(42), timeout=120)  # Telegram goes on
        finally:
            code, log = await stop(process)
        assert code == 3, log
        assert "error: slack: the Web API" in log and "rejected SLACK_BOT_TOKEN" in log
        assert BOT_TOKEN not in log and telegram.token not in log
    finally:
        await telegram.stop()
