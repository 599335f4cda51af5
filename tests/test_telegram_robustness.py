"""The Telegram bot under faults and load: 429, 500, rejected HTML, many chats, allowlists, errors."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat import REFUSAL
from bot.telegram import handlers

from .botharness import BOT, BotHarness, text_of
from .conftest import SHARED, read_jsonl

ANSWERABLE = [q for q in read_jsonl(SHARED / "eval" / "seed_qa.jsonl") if q.get("expect_any")]


@pytest.fixture
async def tg(seed_engine):
    async with BotHarness(seed_engine) as harness:
        yield harness


@pytest.mark.parametrize("fault,times", [("429", 1), ("500", 2)])
async def test_flood_limit_and_server_errors_still_deliver_exactly_once(tg, fault, times):
    tg.standin.fail("sendMessage", fault, times)
    [reply] = await tg.ask(21, "How many people have been detained?")
    await tg.standin.quiet(1.0)
    attempts = [c for c in tg.standin.calls_of("sendMessage") if int(c.params["chat_id"]) == 21]
    assert [c.status for c in attempts] == [int(fault)] * times + [200]
    assert len(tg.standin.sent(21)) == 1 and "3,000" in text_of(reply)
    if fault == "429":  # the rate limiter waited as told (retry_after = 1 s)
        assert attempts[1].at - attempts[0].at >= 1.0


async def test_rejected_formatting_is_resent_as_plain_text(tg):
    tg.standin.fail("sendMessage", "parse")
    [reply] = await tg.ask(22, "How many people have been detained?")
    assert reply.params.get("parse_mode") is None
    assert "3,000" in reply.params["text"] and "<b>" not in reply.params["text"]
    assert "\nSources\n[1] " in reply.params["text"]


async def test_twenty_chats_at_once_each_get_their_answer_once(tg):
    chats = {300 + i: ANSWERABLE[i % len(ANSWERABLE)] for i in range(20)}
    for chat, case in chats.items():
        tg.standin.message(chat, chat, case["question"])
    await tg.standin.wait_for(lambda: all(tg.standin.sent(c) for c in chats), timeout=120)
    await tg.standin.quiet(1.0)
    for chat, case in chats.items():
        [reply] = tg.standin.sent(chat)
        answer = text_of(reply).split("Sources")[0]
        assert any(e.lower() in answer.lower() for e in case["expect_any"]), (case["question"], answer)


async def test_one_chat_is_answered_in_order(tg):
    questions = [ANSWERABLE[i] for i in (0, 1, 2)]
    for case in questions:
        tg.standin.message(23, 23, case["question"])
    replies = await tg.replies(23, 0, expect=3)
    for reply, case in zip(replies, questions, strict=True):
        assert any(e in text_of(reply) for e in case["expect_any"]), (case["question"], text_of(reply))


async def test_a_slow_answer_does_not_block_other_chats(tg, monkeypatch):
    engine_answer = tg.engine.answer

    def slow_for_chat_24(question, history=()):
        if "slow" in question:
            import time

            time.sleep(3)
        return engine_answer(question, history=history)

    monkeypatch.setattr(tg.engine, "answer", slow_for_chat_24)
    tg.standin.message(24, 24, "slow: how many people have been detained?")
    await asyncio.sleep(0.2)
    [fast] = await tg.ask(25, "How many people have been detained?", timeout=2.5)
    assert not tg.standin.sent(24), "the slow question should still be running"
    assert "3,000" in text_of(fast)
    await tg.replies(24, 0)


async def test_delivery_failure_is_logged_without_the_token_and_the_user_is_told(tg):
    # 4 failures use up the sender's 3 retries; the error handler then apologises.
    tg.standin.fail("sendMessage", "500", 4)
    [apology] = await tg.ask(26, "How many people have been detained?")
    assert text_of(apology) == handlers.BROKEN
    log = tg.log.getvalue()
    assert "Traceback" in log and "NetworkError" in log
    assert tg.standin.token not in log and tg.standin.token.split(":")[1] not in log
    assert "Traceback" not in text_of(apology)


async def test_allowlists_refuse_politely_once_and_reveal_nothing(seed_engine):
    async with BotHarness(seed_engine, allowed_users=(5,), allowed_chats=(-200,), admins=(6,)) as tg:
        [refusal] = await tg.ask(9, "How many people have been detained?")
        assert text_of(refusal) == REFUSAL
        assert await tg.silent(9, "How many people have been detained?")
        [answer] = await tg.ask(5, "How many people have been detained?")
        assert "3,000" in text_of(answer)
        [admin] = await tg.ask(6, "/help")
        assert "/reindex" in text_of(admin)
        [in_allowed_chat] = await tg.ask(-200, f"{BOT} how many people have been detained?", 9,
                                         chat_type="group")
        assert "3,000" in text_of(in_allowed_chat)
        assert await tg.silent(-300, "how many people have been detained?", 9, chat_type="group")
        [group_refusal] = await tg.ask(-300, f"{BOT} how many detained?", 9, chat_type="group")
        assert text_of(group_refusal) == REFUSAL
        assert await tg.silent(-300, "/sources", 9, chat_type="group")
        assert "3,000" not in "".join(text_of(c) for c in tg.standin.sent(9) + tg.standin.sent(-300))


async def test_admin_commands_are_for_admins_only(seed_engine):
    async with BotHarness(seed_engine, admins=(6,)) as tg:
        [no] = await tg.ask(7, "/reindex")
        assert text_of(no) == handlers.ADMINS_ONLY
        [no_stats] = await tg.ask(7, "/stats")
        assert text_of(no_stats) == handlers.ADMINS_ONLY
        stats = seed_engine.stats()
        [yes] = await tg.ask(6, "/stats")
        assert f"Chunks: {stats.chunks}" in text_of(yes) and f"Posts: {stats.posts}" in text_of(yes)


async def test_a_reindex_that_fails_unexpectedly_tells_the_admin_why(seed_engine, monkeypatch):
    async with BotHarness(seed_engine, admins=(6,)) as tg:
        async def broken_build():
            raise OSError("No space left on device")

        monkeypatch.setattr(tg.service, "reindex", broken_build)
        [started, failed] = await tg.ask(6, "/reindex", expect=2, timeout=20)
        assert "Reindexing" in text_of(started)
        assert text_of(failed).startswith("The reindex failed: OSError: No space left on device")
        assert text_of(failed) != handlers.BROKEN


async def test_a_press_with_unknown_data_is_answered(tg):
    [reply] = await tg.ask(27, "How many people have been detained?")
    for data in ("zzz:1", "src", "fb:sideways:x"):
        before = len(tg.standin.calls_of("answerCallbackQuery"))
        await tg.press(27, 27, reply.result["message_id"], data)
        await tg.standin.wait_for(lambda n=before: len(tg.standin.calls_of("answerCallbackQuery")) > n, 10)
    await tg.standin.quiet(0.5)
    assert len(tg.standin.sent(27)) == 1


async def test_a_command_in_an_unlisted_channel_posts_no_refusal(seed_engine):
    async with BotHarness(seed_engine, allowed_users=(5,), allowed_chats=(-200,)) as tg:
        assert await tg.silent(-400, "/sources", 9, chat_type="channel")
        assert await tg.silent(-400, f"/ask{BOT} how many detained?", 9, chat_type="channel")
        assert await tg.silent(-400, f"{BOT} how many detained?", 9, chat_type="channel")
        [refusal] = await tg.ask(-300, "/sources", 9, chat_type="group")  # groups are still told once
        assert text_of(refusal) == REFUSAL
