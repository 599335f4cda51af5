"""The Telegram bot end to end: the real Application polling the Bot API stand-in over HTTP."""

from __future__ import annotations

import asyncio

import pytest

from bot.chat import EMPTY
from bot.telegram import handlers
from bot.telegram.delivery import TYPING_AFTER, typing
from index import Answer, Citation

from .botharness import BOT, BotHarness, button_data, text_of
from .conftest import SHARED, read_jsonl
from .standin import BotApiStandIn

ADMIN = 42
GROUP = -1001


@pytest.fixture
async def tg(seed_engine):
    async with BotHarness(seed_engine, admins=(ADMIN,)) as harness:
        yield harness


async def test_private_question_gets_one_cited_answer(tg):
    [reply] = await tg.ask(1, "How many people have been detained?")
    await tg.standin.quiet(0.5)
    assert len(tg.standin.sent(1)) == 1
    assert reply.params["parse_mode"] == "HTML"
    shown = text_of(reply)
    assert "3,000" in shown.split("Sources")[0]
    assert "[1]" in shown and "\nSources\n[1] " in shown
    data = button_data(reply)
    assert data.startswith("src:") and len(data.encode()) <= 64  # a short id, not the passages


async def test_typing_shows_only_while_an_answer_takes_long(tg):
    async with typing(tg.app.bot, 5):
        await asyncio.sleep(TYPING_AFTER + 0.3)
    async with typing(tg.app.bot, 6):
        await asyncio.sleep(0.05)
    await tg.standin.quiet(TYPING_AFTER + 0.2)
    shown = tg.standin.calls_of("sendChatAction")
    assert [(int(c.params["chat_id"]), c.params["action"]) for c in shown] == [(5, "typing")]


async def test_typing_waits_while_the_bot_is_busy(tg):
    rush = True
    async with typing(tg.app.bot, 7, busy=lambda: rush):
        await asyncio.sleep(TYPING_AFTER + 0.3)
        assert not tg.standin.calls_of("sendChatAction")
        rush = False
        await asyncio.sleep(TYPING_AFTER + 0.3)
    assert [int(c.params["chat_id"]) for c in tg.standin.calls_of("sendChatAction")] == [7]


async def test_the_bot_is_busy_while_more_answers_are_in_flight_than_it_shows_typing_for(tg):
    service = tg.service
    asks = [asyncio.create_task(service.answer("How many people have been detained?"))
            for _ in range(service.BUSY_ANSWERS + 1)]
    await asyncio.sleep(0)  # each ask is now waiting for an answer thread
    assert service.busy()
    await asyncio.gather(*asks)
    assert not service.busy()


async def test_commands_are_registered_at_start(tg):
    menus = tg.standin.calls_of("setMyCommands")
    everyone = [m for m in menus if "scope" not in m.params]
    admins = [m for m in menus if m.params.get("scope", {}).get("chat_id") == ADMIN]
    menu = {c["command"] for c in everyone[0].params["commands"]}
    assert menu == {"ask", "sources", "new", "start", "help", "follow", "unfollow"}
    assert {"reindex", "stats"} <= {c["command"] for c in admins[0].params["commands"]}


@pytest.mark.parametrize("case", read_jsonl(SHARED / "eval" / "seed_followups.jsonl"), ids=lambda c: c["id"])
async def test_follow_up_conversations(tg, case):
    chat = 100 + int(case["id"][-2:])
    for turn in case["turns"]:
        [reply] = await tg.ask(chat, turn)
    answer = text_of(reply).split("Sources")[0]
    assert any(e.lower() in answer.lower() for e in case["expect_any"]), answer


async def test_new_forgets_the_conversation(tg):
    follow_up = "What does he say Moscow wants in Kazakhstan?"
    await tg.ask(7, "Who is Stanislav Pritchin?")
    [with_history] = await tg.ask(7, follow_up)
    [done] = await tg.ask(7, "/new")
    assert "afresh" in text_of(done)
    [after_new] = await tg.ask(7, follow_up)
    [fresh_chat] = await tg.ask(8, follow_up)
    assert text_of(after_new) == text_of(fresh_chat)
    assert text_of(after_new) != text_of(with_history)


async def test_group_answers_only_when_addressed_and_in_the_topic(tg):
    assert await tg.silent(GROUP, "how many people have been detained?", 5, chat_type="supergroup",
                           thread_id=9)
    asked = tg.standin.message(GROUP, 5, f"{BOT} how many people have been detained?",
                               chat_type="supergroup", thread_id=9)
    await tg.standin.wait_for(lambda: len(tg.standin.sent(GROUP)) == 1)
    [reply] = tg.standin.sent(GROUP)
    assert reply.params["reply_parameters"]["message_id"] == asked
    assert reply.params["message_thread_id"] == 9
    assert "3,000" in text_of(reply) and BOT not in text_of(reply)

    [by_reply] = await tg.ask(GROUP, "and how many police were killed?", 5, chat_type="supergroup",
                              thread_id=9, reply_to=reply.result["message_id"])
    assert "18" in text_of(by_reply).split("Sources")[0]
    [by_ask] = await tg.ask(GROUP, f"/ask{BOT} Which embassy asked its citizens to leave?", 6,
                            chat_type="supergroup")
    assert "Sources" in text_of(by_ask) and "message_thread_id" not in by_ask.params
    [usage] = await tg.ask(GROUP, "/ask", 6, chat_type="supergroup")
    assert text_of(usage) == handlers.ASK_USAGE


async def test_sources_button_and_command_show_the_passages(tg):
    [reply] = await tg.ask(3, "How many police and national guard members were killed?")
    before = len(tg.standin.sent(3))
    await tg.press(3, 3, reply.result["message_id"], button_data(reply))
    [passages] = await tg.replies(3, before)
    assert tg.standin.calls_of("answerCallbackQuery")
    assert "<blockquote>" in passages.params["text"]
    assert "18 police and national guard" in text_of(passages)
    [by_command] = await tg.ask(3, "/sources")
    assert text_of(by_command) == text_of(passages)

    before = len(tg.standin.calls_of("answerCallbackQuery"))
    await tg.press(3, 3, reply.result["message_id"], "src:unknown")
    await tg.standin.wait_for(lambda: len(tg.standin.calls_of("answerCallbackQuery")) > before)
    assert tg.standin.calls_of("answerCallbackQuery")[-1].params["text"] == handlers.TOO_OLD
    [none_yet] = await tg.ask(4, "/sources")
    assert text_of(none_yet) == handlers.NO_SOURCES


async def test_unanswerable_question_says_so_without_sources(tg):
    [reply] = await tg.ask(11, "What is the population of Mars?")
    assert text_of(reply).startswith("The coverage does not say.")
    assert "Sources" not in text_of(reply) and button_data(reply) is None


async def test_bad_inputs_get_short_clear_replies(tg):
    [photo] = await tg.ask(12, None, photo=True)
    assert text_of(photo) == handlers.TEXT_ONLY
    [huge] = await tg.ask(12, "why " * 600)
    assert "2399 characters" in text_of(huge) and "under 2000" in text_of(huge)
    [mention_only] = await tg.ask(GROUP, BOT, 5, chat_type="supergroup")
    assert text_of(mention_only) == EMPTY
    [unknown] = await tg.ask(12, "/frobnicate")
    assert "/help" in text_of(unknown)
    assert await tg.silent(GROUP, None, 5, chat_type="supergroup", photo=True)


async def test_start_and_help(tg):
    [start] = await tg.ask(13, "/start")
    stats = tg.engine.stats()
    assert f"I hold 1 article with {stats.posts} posts;" in text_of(start)
    assert ("newest update is from" in text_of(start)) == (stats.newest is not None)
    assert "/reindex" not in text_of(start)
    [admin_help] = await tg.ask(ADMIN, "/help")
    assert "/reindex" in text_of(admin_help)


async def test_a_restart_keeps_conversations_and_sources_buttons(seed_engine, tmp_path):
    state, standin = tmp_path / "state.sqlite", BotApiStandIn()
    follow_up = "What does he say Moscow wants in Kazakhstan?"
    await standin.start()
    try:
        async with BotHarness(seed_engine, state=state, standin=standin) as tg:
            [asked] = await tg.ask(60, "Who is Stanislav Pritchin?")
            await tg.ask(61, "Who is Stanislav Pritchin?")
            [expected] = await tg.ask(61, follow_up)
            [fresh] = await tg.ask(62, follow_up)
        assert text_of(expected) != text_of(fresh)
        async with BotHarness(seed_engine, state=state, standin=standin) as tg:
            before = len(standin.sent(60))
            await tg.press(60, 60, asked.result["message_id"], button_data(asked))
            [passages] = await tg.replies(60, before)
            assert "<blockquote>" in passages.params["text"]
            [after] = await tg.ask(60, follow_up)
            assert text_of(after) == text_of(expected)
            await standin.quiet(0.5)
            assert len(standin.sent(60)) == before + 2  # nothing from before the restart again
    finally:
        await standin.stop()


async def test_a_mention_after_emoji_is_found_by_its_utf16_offset(tg):
    [reply] = await tg.ask(GROUP, f"🚨🚨 {BOT} how many people have been detained?", 5,
                           chat_type="supergroup", timeout=20)
    assert "3,000" in text_of(reply)


async def test_passages_full_of_emoji_arrive_in_messages_telegram_accepts(tg, monkeypatch):
    # 3,899 characters but 4,799 UTF-16 units: over one message only when counted as Telegram does.
    emoji = " ".join("🚨😀𠀀 Almaty." for _ in range(300))
    answer = Answer("q", "Emoji [1].", False, (Citation(1, "p1", "Live 😀", None, None, None, None, emoji),))
    monkeypatch.setattr(tg.engine, "answer", lambda question, history=(): answer)
    await tg.ask(14, "anything")
    before = len(tg.standin.sent(14))
    await tg.ask(14, "/sources", expect=2)
    await tg.standin.quiet(0.5)
    shown = "".join(text_of(c) for c in tg.standin.sent(14)[before:])
    assert shown.count("😀") == 301 and handlers.BROKEN not in shown
    assert not [c for c in tg.standin.calls_of("sendMessage") if c.status != 200]


async def test_a_sources_button_cannot_read_another_chats_answer(tg):
    [theirs] = await tg.ask(33, "How many police and national guard members were killed?")
    [ours] = await tg.ask(GROUP, f"{BOT} how many people have been detained?", 5, chat_type="supergroup")
    before, answered = len(tg.standin.sent(GROUP)), len(tg.standin.calls_of("answerCallbackQuery"))
    # A forged press in the group: our message, their answer's id.
    await tg.press(GROUP, 5, ours.result["message_id"], button_data(theirs))
    await tg.standin.wait_for(lambda: len(tg.standin.calls_of("answerCallbackQuery")) > answered)
    await tg.standin.quiet(0.5)
    assert tg.standin.calls_of("answerCallbackQuery")[-1].params["text"] == handlers.TOO_OLD
    assert len(tg.standin.sent(GROUP)) == before
