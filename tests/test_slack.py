"""The Slack front end end to end: the real Bolt app over HTTP, its Web API calls at the stand-in."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.chat import REFUSAL
from bot.slack import commands, handlers

from .slack_standin import BOT_USER, SIGNING_SECRET
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
    assert slack.chat.sources((CHANNEL, event["ts"])).question == QUESTION  # the bot's mention left out


async def test_a_thread_reply_is_a_follow_up_and_other_channel_messages_are_ignored(slack):
    event = mention(slack, QUESTION + " cc <@U0OTHER1>")
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
    first = slack.chat.state.history(json.dumps(["slack", CHANNEL, event["ts"]]), 0, 5)[0]
    assert first.question == QUESTION + " cc <@U0OTHER1>"  # another person's mention is kept


async def answered(h: SlackHarness, n: int = 1, channel: str = CHANNEL) -> list[dict]:
    await h.standin.wait_for(lambda: len(h.standin.posted(channel)) >= n)
    return h.standin.posted(channel)


async def test_every_dm_message_is_a_question_answered_in_the_dm(slack):
    await slack.event(message(slack, QUESTION, channel=DM, channel_type="im"))
    [reply] = await answered(slack, channel=DM)
    assert "thread_ts" not in reply or reply["thread_ts"] is None
    assert "3,000" in shown(reply)
    assert slack.chat.sources((DM,)) is not None


async def test_bot_messages_and_edits_are_ignored(slack):
    await slack.event(message(slack, QUESTION, channel=DM, channel_type="im", bot_id="B0OTHER1"))
    await slack.event(message(slack, QUESTION, channel=DM, channel_type="im", subtype="message_changed"))
    await slack.event(message(slack, QUESTION, user=BOT_USER, channel=DM, channel_type="im"))
    await slack.standin.quiet(1.0)
    assert slack.standin.posted() == []


async def test_ask_is_restated_answered_ephemerally_and_shared_on_request(slack):
    acked = await slack.command("/ask", QUESTION, ALICE, CHANNEL)
    assert acked.status == 200 and QUESTION in acked.body
    await slack.standin.wait_for(lambda: slack.standin.ephemeral(ALICE))
    [private] = slack.standin.ephemeral(ALICE)
    assert private["channel"] == CHANNEL and "3,000" in shown(private)
    assert slack.standin.posted() == []
    share = buttons(private)["Share in channel"]
    assert (await slack.press(share, ALICE, CHANNEL, ephemeral=True)).status == 200
    [public] = await answered(slack)
    assert "3,000" in shown(public) and f"<@{ALICE}> asked" in shown(public)
    assert "Share in channel" not in buttons(public)
    await slack.press(buttons(public)["Show passages"], ALICE, CHANNEL, public["ts"])
    [_, passages] = await answered(slack, 2)
    assert passages["thread_ts"] == public["ts"] and "3,000" in shown(passages)
    empty = await slack.command("/ask", "  ", ALICE, CHANNEL)
    assert "Put the question after the command" in empty.body


async def test_ask_in_a_channel_the_bot_is_not_in_answers_through_the_response_url(slack):
    slack.standin.outside.add("C0OUTSID")
    await slack.command("/ask", QUESTION, ALICE, "C0OUTSID")
    await slack.standin.wait_for(lambda: slack.standin.responses)
    [private] = slack.standin.responses
    assert private["response_type"] == "ephemeral" and "3,000" in shown(private)
    await slack.press(buttons(private)["Share in channel"], ALICE, "C0OUTSID", ephemeral=True)
    await slack.standin.wait_for(lambda: len(slack.standin.responses) == 2)
    shared = slack.standin.responses[1]
    assert shared["response_type"] == "in_channel" and "3,000" in shown(shared)
    assert slack.standin.posted() == [] and handlers.BROKEN not in json.dumps(slack.standin.responses)


async def test_a_mention_twin_and_a_retried_delivery_give_one_answer(slack):
    event = mention(slack, QUESTION)
    twin = message(slack, event["text"], thread=None)
    twin["ts"] = event["ts"]
    await slack.event(event, event_id="Ev0MENTION")
    await slack.event(twin, event_id="Ev0TWIN")
    retried = await slack.event(event, event_id="Ev0MENTION", retry=1)
    assert retried.status == 200
    await slack.event(event, event_id="Ev0MENTION")  # a redelivery without the header, too
    await answered(slack)
    await slack.standin.quiet(1.5)
    assert len(slack.standin.posted(CHANNEL)) == 1


async def test_a_slow_answer_still_acks_at_once(slack):
    service = slack.chat.service
    real = service.answer

    async def slow(*args, **kwargs):
        await asyncio.sleep(4)
        return await real(*args, **kwargs)

    service.answer = slow
    posted = await slack.event(mention(slack, QUESTION))
    acked = await slack.command("/ask", QUESTION, ALICE, CHANNEL)
    assert posted.status == 200 and posted.seconds < 3 and acked.seconds < 3
    await answered(slack)


async def test_a_429_on_post_message_gives_one_answer_not_two(slack):
    slack.standin.fail("chat.postMessage", 429, times=1, retry_after=0)
    await slack.event(mention(slack, QUESTION))
    await answered(slack)
    await slack.standin.quiet(1.0)
    assert len(slack.standin.posted(CHANNEL)) == 1
    statuses = [c.status for c in slack.standin.calls if c.method == "chat.postMessage"]
    assert statuses == [429, 200]


async def test_a_failure_says_something_went_wrong_but_not_what(slack):
    slack.standin.fail("chat.postMessage", 500, times=1)
    await slack.event(mention(slack, QUESTION))
    [reply] = await answered(slack)
    assert reply["text"] == handlers.BROKEN
    assert "500" not in shown(reply)
    await slack.standin.wait_for(lambda: slack.standin.called("reactions.remove"))


async def test_show_passages_and_feedback_buttons(slack):
    event = mention(slack, QUESTION)
    await slack.event(event)
    [reply] = await answered(slack)
    await slack.press(buttons(reply)["Show passages"], ALICE, CHANNEL, reply["ts"])
    [_, passages] = await answered(slack, 2)
    assert passages["thread_ts"] == event["ts"] and "3,000" in shown(passages)
    await slack.press(buttons(reply)["👎"], ADMIN, CHANNEL, reply["ts"])
    await slack.standin.wait_for(lambda: slack.standin.ephemeral(ADMIN))
    assert slack.standin.ephemeral(ADMIN)[0]["text"] == handlers.THANKS
    [stored] = slack.chat.state.feedback()
    assert (stored.user, stored.rating, stored.answer.question) == (ADMIN, "down", QUESTION)
    assert json.loads(stored.conversation) == ["slack", CHANNEL, event["ts"]]


async def test_admin_commands_and_their_refusal(slack):
    refused = await slack.command("/coverage", "stats", ALICE, CHANNEL)
    assert refused.status == 200 and commands.ADMINS_ONLY in refused.body
    await slack.command("/coverage", "stats", ADMIN, CHANNEL)
    await slack.standin.wait_for(lambda: slack.standin.ephemeral(ADMIN))
    assert "Articles: 1" in slack.standin.ephemeral(ADMIN)[0]["text"]
    acked = await slack.command("/coverage", "reindex", ADMIN, CHANNEL)
    assert "Reindexing the corpus" in acked.body
    await slack.standin.wait_for(lambda: len(slack.standin.ephemeral(ADMIN)) == 2)
    assert slack.standin.ephemeral(ADMIN)[1]["text"].startswith("Reindexed:")
    assert "/coverage stats" in (await slack.command("/coverage", "", ADMIN, CHANNEL)).body
    slack.standin.outside.add("C0OUTSID")
    await slack.command("/coverage", "stats", ADMIN, "C0OUTSID")
    await slack.standin.wait_for(lambda: slack.standin.responses)
    assert "Articles: 1" in slack.standin.responses[0]["text"]


async def test_the_home_tab_says_what_is_covered_and_how_to_ask(slack):
    await slack.event({"type": "app_home_opened", "user": ALICE, "channel": "D0HOME01", "tab": "home"})
    await slack.standin.wait_for(lambda: slack.standin.called("views.publish"))
    [call] = slack.standin.called("views.publish")
    assert call.params["user_id"] == ALICE
    text = json.dumps(call.params["view"], ensure_ascii=False)
    assert "article(s)" in text and "/ask" in text and "/coverage" not in text


async def test_requests_are_verified_as_slack_signs_them(slack):
    challenge = json.dumps({"type": "url_verification", "challenge": "c-42", "token": "legacy"})
    echoed = await slack.post(challenge, "application/json")
    assert echoed.status == 200 and "c-42" in echoed.body
    assert (await slack.post(challenge, "application/json", secret="not-the-secret")).status == 401
    assert (await slack.post(challenge, "application/json", age=6 * 60)).status == 401
    forged = await slack.event(mention(slack, QUESTION), secret="not-the-secret")
    assert forged.status == 401
    await slack.standin.quiet(1.0)
    assert slack.standin.posted() == []


async def test_an_outsider_is_refused_once_politely(seed_engine):
    async with SlackHarness(seed_engine, allowed_users=(ALICE,), admins=(ADMIN,)) as h:
        await h.event(mention(h, QUESTION, user="UOUTSIDE"))
        await h.standin.wait_for(lambda: h.standin.ephemeral("UOUTSIDE"))
        await h.event(mention(h, QUESTION, user="UOUTSIDE"))
        await h.event(message(h, QUESTION, user="UOUTSIDE", channel="D0OUT001", channel_type="im"))
        await h.event(mention(h, QUESTION, user=ADMIN))
        await answered(h)
        await h.standin.quiet(1.0)
        assert [e["text"] for e in h.standin.ephemeral("UOUTSIDE")] == [REFUSAL]
        assert len(h.standin.posted(CHANNEL)) == 1  # the admin's answer, nothing for the outsider
        assert [m["text"] for m in h.standin.posted("D0OUT001")] == [REFUSAL]  # once per place
        reacted = {c.params["timestamp"] for c in h.standin.called("reactions.add")}
        assert len(reacted) == 1  # the admin's question only


async def test_channels_limit_where_the_bot_answers(seed_engine):
    async with SlackHarness(seed_engine, channels=(CHANNEL,)) as h:
        await h.event(mention(h, QUESTION, channel="C0OTHER1"))
        await h.event(mention(h, QUESTION))
        await answered(h)
        await h.standin.quiet(1.0)
        assert h.standin.posted("C0OTHER1") == []


async def test_no_secret_reaches_the_log_even_at_debug_level(seed_engine):
    async with SlackHarness(seed_engine, level=logging.DEBUG) as h:
        await h.event(mention(h, QUESTION))
        await h.command("/ask", QUESTION, ALICE, CHANNEL)
        await answered(h)
        await h.standin.wait_for(lambda: h.standin.ephemeral(ALICE))
        assert "chat.postMessage" in h.log.getvalue()  # the log did record the calls
    # SlackHarness.__aexit__ fails the test if a token or the signing secret is in its log


async def test_a_restart_keeps_conversations_and_buttons(seed_engine, tmp_path):
    state = tmp_path / "state.sqlite"
    async with SlackHarness(seed_engine, state=state) as first:
        event = mention(first, QUESTION)
        await first.event(event)
        [mention_at] = await answered(first)
    async with SlackHarness(seed_engine, state=state) as second:
        await second.press(buttons(mention_at)["Show passages"], ALICE, CHANNEL, mention_at["ts"])
        [passages] = await answered(second)
        assert passages["thread_ts"] == event["ts"] and "3,000" in shown(passages)
        await second.event(message(second, "Who detained them?", thread=event["ts"]))
        await answered(second, 2)
        assert second.chat.sources((CHANNEL, event["ts"])).question == "Who detained them?"


def test_the_manifest_asks_for_what_the_listeners_need():
    import yaml

    from .conftest import ROOT

    manifest = yaml.safe_load((ROOT / "bot" / "slack" / "manifest.yaml").read_text(encoding="utf-8"))
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert commands == {"/ask", "/coverage", "/follow", "/unfollow"}
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "app_home_opened", "message.channels", "message.im"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "reactions:write", "im:history"} <= scopes
    assert manifest["settings"]["interactivity"]["is_enabled"]


async def test_the_harness_fails_a_test_whose_log_holds_a_secret(seed_engine):
    with pytest.raises(AssertionError, match="reached the log"):
        async with SlackHarness(seed_engine) as h:
            h.log.write(f"oops {SIGNING_SECRET}\n")
