"""Slack Block Kit on awkward text: escaping, long answers and passages cut to Slack's limits."""

from __future__ import annotations

import re

import pytest

from bot.slack.app import web_client
from bot.slack.blocks import MAX_BLOCKS, SECTION_CHARS, answer_blocks, escape, fallback, passage_messages
from index import Answer, Citation
from index.config import SlackConfig

from .conftest import jsonl_engine
from .slack_standin import check_message
from .slackharness import SlackHarness, buttons, shown

CHANNEL = "C0AWK001"
MARKETS = {"id": "markets-1", "title": "Markets <live> & more <!channel>", "date": "2022-01-07",
           "url": "https://example.com/markets?day=7&view=<all>",
           "text": "Shares of AT&T rose 5% <b>today</b> while bonds > 2% fell, <@U0BOSS> and <!here> "
                   "were told in <https://evil.example|a link>."}
HARBOUR = {"id": "harbour-1", "title": "The harbour inventory", "date": "2022-01-06",
           "url": "https://example.com/harbour",
           "text": " ".join(f"Warehouse {i} at the harbour holds {i * 17} crates of tea & spices, and its "
                            f"manager says deliveries <{i}> fell by {i}% this week." for i in range(1, 60))}


@pytest.fixture(scope="module")
def awkward_engine(tmp_path_factory):
    return jsonl_engine(tmp_path_factory.mktemp("slack-awkward"), [MARKETS, HARBOUR],
                        chunking={"chunk_size": 1024, "chunk_overlap": 32})


def citation(n: int, text: str = "A passage.") -> Citation:
    return Citation(n, f"post-{n}", f"Headline {n}", "Title", "Wire", "https://example.com/a?b=1&c=2",
                    1_641_513_600, text)


def test_escaping_leaves_no_mention_link_or_command():
    raw = "<@U0BOSS> <!channel> <https://x.example|x> AT&T"
    assert escape(raw) == "&lt;@U0BOSS&gt; &lt;!channel&gt; &lt;https://x.example|x&gt; AT&amp;T"
    assert not re.search(r"<[@!#h]", escape(raw))


async def test_a_long_answer_is_split_into_sections_that_slack_accepts():
    sentences = [f"Sentence {i} says something about the harbour & its {i} cranes." for i in range(200)]
    answer = Answer("q?", " ".join(sentences) + " [1]", False, (citation(1),))
    blocks = answer_blocks(answer, "a1", (CHANNEL, "1.0"))
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(texts) >= 4 and all(len(t) <= SECTION_CHARS for t in texts)
    assert " ".join(texts) == escape(answer.text)  # cut at sentence boundaries, nothing lost
    assert check_message({"text": fallback(answer), "blocks": blocks}) is None
    many = Answer("q?", "Short [1].", False, tuple(citation(n) for n in range(1, 80)))
    trimmed = answer_blocks(many, "a2", (CHANNEL, "1.0"))
    assert len(trimmed) == MAX_BLOCKS and trimmed[-1]["type"] == "actions"
    async with SlackHarness.standin_only() as standin:
        client = web_client(SlackConfig(base_url=standin.base_url), standin.bot_token)
        for message in (blocks, trimmed):
            await client.chat_postMessage(channel=CHANNEL, text=fallback(answer), blocks=message)
        assert len(standin.posted(CHANNEL)) == 2


def test_passages_fill_as_many_messages_as_they_need():
    answer = Answer("q?", "x [1]", False, tuple(citation(n, "Long passage. " * 400) for n in range(1, 21)))
    messages = passage_messages(answer)
    assert len(messages) >= 2 and all(len(m) <= MAX_BLOCKS for m in messages)
    assert all(check_message({"text": "p", "blocks": m}) is None for m in messages)


async def test_corpus_text_arrives_escaped_and_long_passages_in_several_valid_messages(awkward_engine):
    async with SlackHarness(awkward_engine) as h:
        event = {"type": "app_mention", "user": "UALICE01", "text": "<@UBOT0001> How much did shares of AT&T "
                 "rise?", "ts": h.next_ts(), "channel": CHANNEL, "event_ts": "0"}
        await h.event(event)
        await h.standin.wait_for(lambda: h.standin.posted(CHANNEL))
        [reply] = h.standin.posted(CHANNEL)
        text = shown(reply)
        assert "AT&amp;T rose 5% &lt;b&gt;today&lt;/b&gt;" in text and "&lt;@U0BOSS&gt;" in text
        assert "<@U0BOSS>" not in text and "<!" not in text and "<https://evil" not in text
        assert "<https://example.com/markets?day=7&amp;view=&lt;all&gt;|" in text  # our link, escaped
        assert "<@U0BOSS>" not in reply["text"]
        question = "How many crates of tea does warehouse 7 at the harbour hold?"
        await h.event({**event, "text": f"<@UBOT0001> {question}", "ts": h.next_ts()})
        await h.standin.wait_for(lambda: len(h.standin.posted(CHANNEL)) == 2)
        harbour = h.standin.posted(CHANNEL)[1]
        await h.press(buttons(harbour)["Show passages"], "UALICE01", CHANNEL, harbour["ts"])
        await h.standin.wait_for(lambda: len(h.standin.posted(CHANNEL)) > 2)
        await h.standin.quiet(1.0)
        parts = h.standin.posted(CHANNEL)[2:]
        sections = [b for p in parts for b in p["blocks"] if b["type"] == "section"]
        assert len(sections) >= 2 and all(len(b["text"]["text"]) <= SECTION_CHARS for b in sections)
        quoted = " ".join(b["text"]["text"] for b in sections)
        cited = h.chat.service.engine.answer(question)
        for sentence in re.findall(r"Warehouse \d+ at the harbour[^.]*\.", cited.citations[0].text):
            assert escape(sentence) in quoted  # nothing lost at the cuts
