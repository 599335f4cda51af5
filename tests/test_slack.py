"""The Slack front end end to end: the real Bolt app over HTTP, its Web API calls at the stand-in."""

from __future__ import annotations

import pytest

from .slack_standin import BOT_USER
from .slackharness import SlackHarness, buttons, shown

ADMIN = "UADMIN01"
ALICE = "UALICE01"
CHANNEL = "C0NEWS01"
DM = "D0ALICE1"
QUESTION = "How many people have been detained?"


@pytest.fixture
async def slack(seed_engine):
    async with SlackHarness(seed_engine, admins=(ADMIN,)) as harness:
        yield harness


def mention(h: SlackHarness, text: str, user: str = ALICE, channel: str = CHANNEL,
            thread: str | None = None) -> dict:
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": h.next_ts(),
             "channel": channel, "event_ts": "0"}
    return {**event, "thread_ts": thread} if thread else event


def message(h: SlackHarness, text: str, user: str = ALICE, channel: str = CHANNEL,
            thread: str | None = None, channel_type: str = "channel", **extra: object) -> dict:
    event = {"type": "message", "user": user, "text": text, "ts": h.next_ts(), "channel": channel,
             "channel_type": channel_type, **extra}
    return {**event, "thread_ts": thread} if thread else event


async def test_a_mention_is_answered_once_in_a_thread_under_it_with_eyes_meanwhile(slack):
    event = mention(slack, QUESTION)
    posted = await slack.event(event)
    assert posted.status == 200
    await slack.standin.wait_for(lambda: slack.standin.called("reactions.remove"))
    await slack.standin.quiet(0.5)
    [reply] = slack.standin.posted(CHANNEL)
    assert reply["thread_ts"] == event["ts"]
    text = shown(reply)
    assert "3,000" in text and "*Sources*" in text and "*[1]*" in text
    assert set(buttons(reply)) == {"Show passages", "👍", "👎"}
    assert "3,000" in reply["text"]  # the plain fallback
    eyes = [(c.method, c.params["timestamp"], c.params["name"]) for c in slack.standin.calls
            if c.method.startswith("reactions.")]
    assert eyes == [("reactions.add", event["ts"], "eyes"), ("reactions.remove", event["ts"], "eyes")]


async def test_a_thread_reply_is_a_follow_up_and_other_channel_messages_are_ignored(slack):
    event = mention(slack, QUESTION)
    await slack.event(event)
    await slack.standin.wait_for(lambda: len(slack.standin.posted(CHANNEL)) == 1)
    await slack.event(message(slack, "Who detained them?", thread=event["ts"]))
    await slack.standin.wait_for(lambda: len(slack.standin.posted(CHANNEL)) == 2)
    follow = slack.standin.posted(CHANNEL)[1]
    assert follow["thread_ts"] == event["ts"]
    await slack.event(message(slack, "How many people have been detained?"))
    await slack.event(message(slack, "And in another thread?", thread=slack.next_ts()))
    await slack.standin.quiet(1.0)
    assert len(slack.standin.posted(CHANNEL)) == 2
    assert slack.chat.sources((CHANNEL, event["ts"])).question == "Who detained them?"
