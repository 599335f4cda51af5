"""The Telegram bot on awkward corpus text: HTML characters, passages too long for one message, /reindex."""

from __future__ import annotations

import re
import shutil

import pytest

from bot.telegram import handlers

from .botharness import BotHarness, button_data, text_of
from .conftest import SEED, jsonl_engine, make_config, write_jsonl

ADMIN = 6
MARKETS = {"id": "markets-1", "title": "Markets <live> & more", "date": "2022-01-07",
           "url": "https://example.com/markets?day=7&view=<all>",
           "text": "Shares of AT&T rose 5% <b>today</b> while bonds > 2% fell, traders said."}
HARBOUR = {"id": "harbour-1", "title": "The harbour inventory", "date": "2022-01-06",
           "url": "https://example.com/harbour",
           "text": " ".join(f"Warehouse {i} at the harbour holds {i * 17} crates of tea & spices, and its "
                            f"manager says deliveries <{i}> fell by {i}% this week." for i in range(1, 60))}


@pytest.fixture(scope="module")
def awkward_engine(tmp_path_factory):
    return jsonl_engine(tmp_path_factory.mktemp("awkward"), [MARKETS, HARBOUR],
                        chunking={"chunk_size": 1024, "chunk_overlap": 32})


async def test_corpus_text_with_html_characters_arrives_escaped(awkward_engine):
    async with BotHarness(awkward_engine) as tg:
        [reply] = await tg.ask(1, "How much did shares of AT&T rise?")
        assert reply.params["parse_mode"] == "HTML"  # accepted by the stand-in's HTML check
        assert "&amp;T" in reply.params["text"] and "&lt;b&gt;today&lt;/b&gt;" in reply.params["text"]
        shown = text_of(reply)
        assert "Shares of AT&T rose 5% <b>today</b> while bonds > 2% fell" in shown
        assert "Markets <live> & more" in shown
        assert 'href="https://example.com/markets?day=7&amp;view=&lt;all&gt;"' in reply.params["text"]


async def test_passages_too_long_for_one_message_arrive_as_several_valid_ones(awkward_engine):
    async with BotHarness(awkward_engine) as tg:
        [reply] = await tg.ask(2, "How many crates of tea does warehouse 7 at the harbour hold?")
        assert "119 crates" in text_of(reply).split("Sources")[0]
        before = len(tg.standin.sent(2))
        await tg.press(2, 2, reply.result["message_id"], button_data(reply))
        await tg.replies(2, before, expect=2)
        await tg.standin.quiet(1.0)
        parts = tg.standin.sent(2)[before:]
        assert len(parts) >= 2
        assert all(p.params["parse_mode"] == "HTML" and len(text_of(p)) <= 4096 for p in parts)
        shown = " ".join(text_of(p) for p in parts)
        cited = tg.service.engine.answer("How many crates of tea does warehouse 7 at the harbour hold?")
        for sentence in re.findall(r"Warehouse \d+ at the harbour[^.]*\.", cited.citations[0].text):
            assert sentence in shown  # nothing lost at the cuts
        assert handlers.BROKEN not in shown


async def test_reindex_picks_up_new_coverage_without_a_restart(tmp_path):
    from index import Engine, build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    config = make_config(tmp_path, corpus)
    build_index(config, progress=False)
    question = "How many crates of tea does warehouse 7 at the harbour hold?"
    async with BotHarness(Engine(config), admins=(ADMIN,)) as tg:
        [before] = await tg.ask(ADMIN, question)
        assert text_of(before).startswith("The coverage does not say.")
        write_jsonl(corpus, [HARBOUR])
        [started, done] = await tg.ask(ADMIN, "/reindex", expect=2)
        assert "keep answering" in text_of(started)
        assert text_of(done).startswith("Reindexed: 2 articles: 1 added")
        [after] = await tg.ask(ADMIN, question)
        assert "119 crates" in text_of(after)
        [stats] = await tg.ask(ADMIN, "/stats")
        assert "Articles: 2" in text_of(stats) and "Last /reindex: 2 articles" in text_of(stats)
