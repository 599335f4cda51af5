"""👍/👎 under Telegram answers: stored in the state file, acknowledged to the presser, read by admins."""

from __future__ import annotations

import json

from bot.app import main
from bot.telegram import handlers

from .botharness import BotHarness, buttons, text_of

QUESTION = "How many people have been detained?"


async def press_and_ack(tg: BotHarness, chat: int, user: int, message_id: int, data: str) -> str:
    acks = len(tg.standin.calls_of("answerCallbackQuery"))
    await tg.press(chat, user, message_id, data)
    await tg.standin.wait_for(lambda: len(tg.standin.calls_of("answerCallbackQuery")) > acks)
    return tg.standin.calls_of("answerCallbackQuery")[-1].params["text"]


async def test_feedback_buttons_are_stored_and_admins_read_them(seed_engine, tmp_path, capsys):
    state = tmp_path / "state.sqlite"
    async with BotHarness(seed_engine, state=state) as tg:
        [reply] = await tg.ask(31, QUESTION)
        labels = buttons(reply)
        assert list(labels) == ["Sources", "👍", "👎"]
        assert all(len(data.encode()) <= 64 for data in labels.values())
        message = reply.result["message_id"]
        assert await press_and_ack(tg, 31, 31, message, labels["👎"]) == handlers.THANKS
        assert await press_and_ack(tg, 31, 77, message, labels["👍"]) == handlers.THANKS
        assert await press_and_ack(tg, 31, 31, message, "fb:up:unknown") == handlers.TOO_OLD
        await tg.standin.quiet(0.3)
        assert len(tg.standin.sent(31)) == 1  # acknowledged in the button's toast, not in the chat
        [unanswered] = await tg.ask(32, "What is the population of Mars?")
        assert buttons(unanswered) == {}

    config = tmp_path / "config.toml"
    config.write_text(f'[state]\npath = "{state}"\n', encoding="utf-8")
    assert main(["--config", str(config), "feedback", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["up"], shown["down"]) == (1, 1)
    down = next(r for r in shown["ratings"] if r["rating"] == "down")
    assert down["user"] == "31" and down["question"] == QUESTION and "3,000" in down["answer"]
    assert down["cited"] and down["cited"] == [c["post_id"] for c in down["citations"]]
    assert main(["--config", str(config), "feedback"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("👍 1   👎 1\n") and f"Q: {QUESTION}" in text and "3,000" in text
    assert text_of(reply).split("Sources")[0].strip() in text


def test_feedback_without_a_state_file_says_so(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[state]\npath = "none.sqlite"\n', encoding="utf-8")
    assert main(["--config", str(config), "feedback"]) == 2
    assert "no state file" in capsys.readouterr().err and not (tmp_path / "none.sqlite").exists()
