"""A Telegram token revoked while Telegram and Slack run in one process: Telegram stops, with code 3."""

from __future__ import annotations

import asyncio

from .slack_standin import APP_TOKEN, BOT_TOKEN
from .standin import BotApiStandIn
from .test_slack_process import CHANNEL, QUESTION, mention, slack, start, stop, write_config

__all__ = ["slack"]  # the fixture, imported for pytest


async def read_until(process: asyncio.subprocess.Process, marker: str) -> str:
    """The process's stderr up to and including the first line that holds `marker`."""
    lines = []
    while line := (await process.stderr.readline()).decode("utf-8", "replace"):
        lines.append(line)
        if marker in line:
            break
    return "".join(lines)


async def test_a_telegram_token_revoked_beside_slack_stops_telegram_and_exits_3(tmp_path, seed_engine, slack):
    telegram = BotApiStandIn()
    await telegram.start()
    try:
        config = write_config(tmp_path, seed_engine, slack.base_url, telegram.base_url)
        process = await start(config, TELEGRAM_BOT_TOKEN=telegram.token, SLACK_BOT_TOKEN=BOT_TOKEN,
                              SLACK_APP_TOKEN=APP_TOKEN, PYTHONUNBUFFERED="1")
        issued, seen = telegram.token, ""
        try:
            telegram.message(51, 51, QUESTION)
            await telegram.wait_for(lambda: telegram.sent(51), timeout=120)
            telegram.token = "revoked"  # every call from now on is 401 Unauthorized
            telegram.message(53, 53, QUESTION)  # ends the long poll: the next call is refused
            seen = await asyncio.wait_for(read_until(process, "error: telegram:"), 60)
            await slack.push(mention(slack))
            await slack.wait_for(lambda: slack.posted(CHANNEL), timeout=120)  # Slack goes on
            assert process.returncode is None
        finally:
            code, log = await stop(process)
        log = seen + log
        assert code == 3, log
        errors = [line for line in log.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "error: telegram:" in errors[0], log
        assert "rejected TELEGRAM_BOT_TOKEN while running" in errors[0]
        assert issued not in log and issued.split(":")[1] not in log and BOT_TOKEN not in log
    finally:
        await telegram.stop()


async def test_a_revoked_telegram_token_alone_in_the_loop_ends_the_process(tmp_path, seed_engine, slack):
    """With every other front end already stopped, the process exits by itself instead of lingering."""
    telegram = BotApiStandIn()
    await telegram.start()
    try:
        config = write_config(tmp_path, seed_engine, slack.base_url, telegram.base_url)
        slack.bot_token = "xoxb-rotated-elsewhere"  # Slack is refused at start-up and stops alone
        process = await start(config, TELEGRAM_BOT_TOKEN=telegram.token, SLACK_BOT_TOKEN=BOT_TOKEN,
                              SLACK_APP_TOKEN=APP_TOKEN, PYTHONUNBUFFERED="1")
        try:
            telegram.message(52, 52, QUESTION)
            await telegram.wait_for(lambda: telegram.sent(52), timeout=120)
            telegram.token = "revoked"
            telegram.message(54, 54, QUESTION)
            await asyncio.wait_for(process.wait(), 60)
        finally:
            code, log = await stop(process)
        assert code == 3, log
        assert "error: telegram:" in log and "while running" in log
    finally:
        await telegram.stop()
