"""/follow and /unfollow: new posts from the watched corpus posted to following chats, via the stand-in."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot import follow
from bot.telegram.app import start_live, stop_live
from index import Engine, build_index

from .botharness import BotHarness, text_of
from .conftest import make_config, write_jsonl

HARBOUR = {"id": "harbour", "title": "Harbour reopens", "published": "2025-03-01",
           "text": "The harbour at Aktau reopened on Tuesday after storm repairs."}


def page(posts: list[tuple[str, str]]) -> str:
    body = "".join(f"## {h}\n\n{t}\n\n" for h, t in posts)
    head = "title: Ferry strike live\nurl: https://example.org/ferry\npublished: 2025-03-02"
    return f"---\n{head}\n---\n\n{body}"


WALKOUT = ("Ferry crews walk out", "Ferry crews at Kuryk walked out at dawn over unpaid wages. More to come.")
TALKS = ("Talks called off", "Talks with the operator were called off at noon.")
RETURN = ("Crews return", "The crews returned to work on Tuesday after a deal on wages.")


def engine_over(tmp_path: Path) -> Engine:
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", [HARBOUR]))
    build_index(config, progress=False)
    return Engine(config)


def sent_texts(tg: BotHarness, chat_id: int) -> list[str]:
    return [text_of(c) for c in tg.standin.sent(chat_id)]


async def test_followers_get_each_new_post_once_and_can_ask_about_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(follow, "GAP_S", 10.0)
    engine = engine_over(tmp_path)
    path = engine.config.corpus.path / "ferry.md"
    async with BotHarness(engine) as tg:
        start_live(tg.app)
        try:
            [ok] = await tg.ask(1, "/follow")
            assert "Following" in text_of(ok)
            path.write_text(page([WALKOUT]), encoding="utf-8")
            [news] = await tg.replies(1, 1, timeout=90)
            assert text_of(news).startswith("New in the coverage")
            assert "Ferry crews walk out" in text_of(news)
            assert "walked out at dawn over unpaid wages." in text_of(news)
            assert "More to come" not in text_of(news)  # the first sentence only
            assert "https://example.org/ferry" in news.params["text"]

            # Two more posts inside the gap: held, then sent together as one message.
            path.write_text(page([TALKS, WALKOUT]), encoding="utf-8")
            await asyncio.sleep(2.5)
            path.write_text(page([RETURN, TALKS, WALKOUT]), encoding="utf-8")
            [grouped] = await tg.replies(1, 2, timeout=90)
            assert "Talks called off" in text_of(grouped) and "Crews return" in text_of(grouped)
            await tg.standin.quiet(11.0)
            assert len(tg.standin.sent(1)) == 3  # /follow's reply, then exactly two messages
            assert tg.standin.sent(2) == []  # a chat that does not follow hears nothing

            [answer] = await tg.ask(1, "Why did the ferry crews walk out?")
            assert "unpaid wages" in text_of(answer)
        finally:
            await stop_live(tg.app)


async def test_followers_survive_a_restart_and_unfollow_stops(tmp_path: Path) -> None:
    engine = engine_over(tmp_path)
    state = tmp_path / "state.sqlite"
    async with BotHarness(engine, state=state) as tg:
        await tg.ask(5, "/follow")
        [again] = await tg.ask(5, "/follow")
        assert "already follows" in text_of(again)
    async with BotHarness(engine, state=state) as tg:
        assert tg.chat.followers() == ['["telegram", 5, 0]']
        [stopped] = await tg.ask(5, "/unfollow")
        assert "Stopped" in text_of(stopped) and tg.chat.followers() == []


async def test_only_allowed_chats_can_follow(tmp_path: Path) -> None:
    engine = engine_over(tmp_path)
    async with BotHarness(engine, allowed_chats=(1,)) as tg:
        [refused] = await tg.ask(2, "/follow")
        assert "only for its team" in text_of(refused)
        await tg.ask(1, "/follow")
        assert tg.chat.followers() == ['["telegram", 1, 0]']
