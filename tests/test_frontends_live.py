"""Telegram and Slack in one process: the corpus watched once, the engine updated once, both told."""

from __future__ import annotations

import asyncio

from .conftest import write_jsonl
from .slack_standin import APP_TOKEN, BOT_TOKEN
from .slackharness import shown
from .standin import BotApiStandIn
from .test_follow import HARBOUR, TALKS, WALKOUT, page
from .test_frontends_revoked import read_until
from .test_live_process import NEWS, built, news, said
from .test_slack_process import CHANNEL, slack, start, stop

__all__ = ["slack"]  # the fixture, imported for pytest


def slash(command: str, channel: str = CHANNEL, user: str = "UALICE01") -> dict:
    return {"command": command, "text": "", "user_id": user, "channel_id": channel, "team_id": "T0TEAM01",
            "trigger_id": "t1", "response_url": "http://127.0.0.1:9/response/none"}


async def test_both_front_ends_tell_their_followers_of_a_post_the_one_watcher_took_in(tmp_path, slack):
    telegram = BotApiStandIn()
    await telegram.start()
    try:
        write_jsonl(tmp_path / "corpus", [HARBOUR])
        config = await built(tmp_path, telegram.base_url, f'[slack]\nbase_url = "{slack.base_url}"\n')
        process = await start(config, TELEGRAM_BOT_TOKEN=telegram.token, SLACK_BOT_TOKEN=BOT_TOKEN,
                              SLACK_APP_TOKEN=APP_TOKEN, PYTHONUNBUFFERED="1")
        try:
            assert "Following" in await said(telegram, "/follow")
            await slack.push(slash("/follow"), kind="slash_commands")
            await slack.wait_for(lambda: any("Following" in json_text(a) for a in slack.acks), timeout=60)
            started = await asyncio.wait_for(read_until(process, "catching up"), 60)
            (tmp_path / "corpus" / "ferry.md").write_text(page([TALKS, WALKOUT]), encoding="utf-8")
            await telegram.wait_for(lambda: news(telegram), timeout=90)
            await slack.wait_for(lambda: slack.posted(CHANNEL), timeout=90)
            await asyncio.sleep(3)
            [told] = news(telegram)
            [posted] = slack.posted(CHANNEL)
            for text in (told, shown(posted)):
                assert "Ferry crews walk out" in text and "Talks called off" in text
            assert shown(posted).startswith(f"*{NEWS}*")
        finally:
            code, log = await stop(process)
        log = started + log
        assert code == 0, log
        assert log.count("watching ") == 1, log  # one watcher for the process
        # One update at the start (catching up) and one per burst of changes: not one per front end.
        assert log.count("index.build: build: ") == log.count("updating the index") + 1, log
        assert "ERROR" not in log, log
        assert log.count("updating the index") >= 1
    finally:
        await telegram.stop()


def json_text(ack: dict) -> str:
    return str(ack.get("payload", ""))
