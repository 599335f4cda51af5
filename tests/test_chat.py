"""The front-end-neutral chat core over the real engine: replies, conversations, restarts, feedback."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.chat import EMPTY, Answered, ChatService, Invalid, Refused
from index.config import ConversationConfig, StateConfig

WHO = "Who is Stanislav Pritchin?"
FOLLOW_UP = "What does he say Moscow wants in Kazakhstan?"
TG = (1, 0)  # a Telegram-shaped key
SLACK = ("C042", "1700000000.000100")  # a Slack-shaped key


def open_core(engine, path: Path, **kwargs) -> ChatService:
    config = dataclasses.replace(engine.config, state=StateConfig(path), **kwargs)
    return ChatService.open(engine, config, "test")


@pytest.fixture
def core(seed_engine, tmp_path):
    chat = open_core(seed_engine, tmp_path / "state.sqlite")
    yield chat
    chat.close()


async def test_an_answer_is_remembered_and_its_sources_stay_in_its_conversation(core) -> None:
    reply = await core.ask(SLACK, "How many people have been detained?")
    assert isinstance(reply, Answered) and "3,000" in reply.answer.text and reply.answer.citations
    assert core.sources(SLACK, reply.answer_id) == dataclasses.replace(
        reply.answer, query="", retrieved=(), confidence=0.0, signals={})
    assert core.sources(SLACK).text == reply.answer.text
    assert core.sources(TG, reply.answer_id) is None and core.sources(TG) is None
    core.reset(SLACK)
    assert core.sources(SLACK) is None and core.sources(SLACK, reply.answer_id) is not None


async def test_invalid_questions_are_typed_replies(core) -> None:
    assert await core.ask(TG, "  \n") == Invalid(EMPTY)
    too_long = await core.ask(TG, "why " * 600)
    assert isinstance(too_long, Invalid) and "under 2000" in too_long.message
    assert core.sources(TG) is None


async def test_outsiders_are_refused_and_told_once(seed_engine, tmp_path) -> None:
    config = dataclasses.replace(seed_engine.config, state=StateConfig(tmp_path / "s.sqlite"))
    core = ChatService.open(seed_engine, config, "test", allowed_users=["U1"], allowed_places=["C1"])
    try:
        assert await core.ask(SLACK, "How many detained?", user="U9", place="C2") == Refused(tell=True)
        assert await core.ask(SLACK, "How many detained?", user="U9", place="C2") == Refused(tell=False)
        assert isinstance(await core.ask(SLACK, "How many detained?", user="U9", place="C1"), Answered)
        assert isinstance(await core.ask(SLACK, "How many detained?", user="U1", place="C2"), Answered)
    finally:
        core.close()


async def test_a_restart_over_the_same_file_keeps_history_and_sources(seed_engine, tmp_path) -> None:
    path = tmp_path / "state.sqlite"
    first = open_core(seed_engine, path)
    try:
        asked = await first.ask(TG, WHO)
        followed = await first.ask(TG, FOLLOW_UP)
        fresh = await first.ask((2, 0), FOLLOW_UP)
        first.reset(TG)
        await first.ask(TG, WHO)
    finally:
        first.close()
    assert followed.answer.text != fresh.answer.text  # the history matters to this follow-up

    again = open_core(seed_engine, path)
    try:
        assert again.sources(TG, asked.answer_id).citations == asked.answer.citations
        after_restart = await again.ask(TG, FOLLOW_UP)
        assert after_restart.answer.text == followed.answer.text
    finally:
        again.close()


async def test_history_older_than_history_minutes_is_not_used(seed_engine, tmp_path) -> None:
    core = open_core(seed_engine, tmp_path / "s.sqlite", conversation=ConversationConfig(history_minutes=0))
    try:
        await core.ask(TG, WHO)
        later = await core.ask(TG, FOLLOW_UP)
        fresh = await core.ask((2, 0), FOLLOW_UP)
        assert later.answer.text == fresh.answer.text
    finally:
        core.close()


async def test_one_conversation_answers_one_question_at_a_time(core) -> None:
    # Asked together, the follow-up must still wait for (and lean on) the first answer.
    _, together = await asyncio.gather(core.ask(TG, WHO), core.ask(TG, FOLLOW_UP))
    await core.ask((3, 0), WHO)
    in_turn = await core.ask((3, 0), FOLLOW_UP)
    assert together.answer.text == in_turn.answer.text


async def test_feedback_is_recorded_against_an_answer_of_its_conversation(core) -> None:
    reply = await core.ask(TG, "How many people have been detained?")
    assert core.feedback(TG, reply.answer_id, 7, "down")
    assert not core.feedback((9, 0), reply.answer_id, 7, "up")
    assert not core.feedback(TG, "no-such-id", 7, "up")
    with pytest.raises(ValueError):
        core.feedback(TG, reply.answer_id, 7, "meh")
    [record] = core.state.feedback()
    assert (record.user, record.rating, record.answer.question) == ("7", "down", reply.answer.question)
    assert record.to_json()["cited"] == [c.post_id for c in reply.answer.citations]


async def test_about_and_status_describe_the_index(core, seed_engine) -> None:
    stats = seed_engine.stats()
    assert (await core.about()).chunks == stats.chunks
    status = await core.status()
    assert status.stats.posts == stats.posts and not status.reindexing and status.last_build is None
