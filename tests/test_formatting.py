"""Reply formatting without Telegram: escaping, splitting and packing under the 4,096 limit."""

from __future__ import annotations

from html import escape

import pytest

from bot.telegram.formatting import MAX_MESSAGE, answer_blocks, pack, passage_blocks, split_raw
from index import Answer, Citation

from .standin import _entities, _visible, html_to_plain

PARAGRAPHS = "\n\n".join(f"Paragraph {i}: " + "tea & <spices> " * 40 for i in range(30))
SENTENCES = " ".join(f"Sentence {i} says R&D > 5% & <b>bold</b>." for i in range(400))
UNBROKEN = "&" * 9000


@pytest.mark.parametrize("text", [PARAGRAPHS, SENTENCES, UNBROKEN, "short & sweet"])
def test_split_raw_loses_nothing_and_every_piece_fits(text: str) -> None:
    pieces = split_raw(text, budget=3500)
    assert all(len(escape(p)) <= 3500 for p in pieces)
    if text is UNBROKEN:
        assert "".join(pieces) == text
    else:
        assert " ".join(pieces).split() == text.split()


def test_split_raw_prefers_paragraph_then_sentence_boundaries() -> None:
    assert all(p.startswith("Paragraph ") for p in split_raw(PARAGRAPHS))
    assert all(p.startswith("Sentence ") and p.endswith(".") for p in split_raw(SENTENCES))


def citation(n: int, text: str, **kw: object) -> Citation:
    fields = {"post_id": f"p{n}", "headline": f"Head <{n}> & co", "title": "Live & <updates>",
              "source": "Wire", "url": f"https://x.test/?a={n}&b=<c>", "published": 1641600000}
    return Citation(n=n, text=text, **{**fields, **kw})


def test_every_packed_message_is_valid_html_under_the_limit_and_keeps_all_text() -> None:
    answer = Answer("q", "Answer & more [1] [2].", False,
                    (citation(1, SENTENCES), citation(2, PARAGRAPHS)))
    for blocks in (answer_blocks(answer), passage_blocks(answer)):
        messages = pack(blocks)
        shown = "\n\n".join(html_to_plain(m.html) for m in messages)  # raises on broken HTML
        assert all(len(m.html) <= MAX_MESSAGE for m in messages)
        assert "Head <1> & co" in shown and "Live & <updates>" in shown
    passages = " ".join(html_to_plain(m.html) for m in pack(passage_blocks(answer)))
    assert passages.split().count("Sentence") == 400
    assert passages.count("Paragraph ") == 30


def test_pack_joins_small_blocks_and_never_splits_one() -> None:
    answer = Answer("q", "Short [1].", False, (citation(1, "One passage."),))
    [message] = pack(answer_blocks(answer))
    shown = html_to_plain(message.html)
    assert shown.startswith("Short [1].\n\nSources\n[1] Head <1> & co — Live & <updates>")
    assert "Wire, 8 Jan 2022 · " in message.plain and "https://x.test/?a=1&b=<c>" in message.plain


def test_abstention_shows_its_reason_and_no_sources() -> None:
    answer = Answer("q", "The coverage does not say.", True, reason="Nothing <close> matched.")
    [message] = pack(answer_blocks(answer))
    assert html_to_plain(message.html) == "The coverage does not say. Nothing <close> matched."
    assert "Sources" not in message.plain


EMOJI = " ".join("🚨 Almaty 😀 𠀀𠀁 update." for _ in range(900))  # astral: two UTF-16 units each
EMOJI_RUN = "😀" * 9000


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("text", [EMOJI, EMOJI_RUN])
def test_messages_with_astral_characters_fit_in_utf16_units(text: str) -> None:
    answer = Answer("q", text, False, (citation(1, text), citation(2, "😀 " + PARAGRAPHS)))
    for blocks in (answer_blocks(answer), passage_blocks(answer)):
        messages = pack(blocks)
        shown = [html_to_plain(m.html) for m in messages]
        assert all(utf16(m.html) <= MAX_MESSAGE for m in messages)
        assert all(utf16(s) <= MAX_MESSAGE for s in shown)
    pieces = split_raw(text)
    assert all(utf16(escape(p)) <= 3500 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


def test_a_huge_abstention_reason_is_split_into_messages_that_fit() -> None:
    answer = Answer("q", "The coverage does not say.", True, reason="😀 & <x> " * 2000)
    messages = pack(answer_blocks(answer))
    assert len(messages) > 1
    assert all(utf16(m.html) <= MAX_MESSAGE for m in messages)
    shown = "".join(html_to_plain(m.html) for m in messages)
    assert shown.count("😀") == 2000 and shown.startswith("The coverage does not say.")


def test_the_standin_measures_messages_in_utf16_units_as_telegram_does() -> None:
    assert _visible({"text": "😀" * 2048}) == "😀" * 2048  # 4,096 units
    with pytest.raises(ValueError, match="too long"):
        _visible({"text": "😀" * 2049})
    [mention] = _entities("🚨🚨 @coverage_test_bot hi")
    assert (mention["offset"], mention["length"]) == (5, 18)


def test_a_note_is_one_escaped_italic_line_before_the_sources() -> None:
    answer = Answer(question="q", text="It rose [1]", abstained=False, citations=(citation(1, "It rose."),),
                    note="The model was unavailable <so> this is quoted.")
    blocks = answer_blocks(answer)
    assert blocks[1].html == "<i>The model was unavailable &lt;so&gt; this is quoted.</i>"
    assert blocks[2].html.startswith("<b>Sources</b>")
    plain = answer_blocks(Answer(question="q", text="It rose [1]", abstained=False,
                                 citations=(citation(1, "It rose."),)))
    assert plain == [blocks[0], blocks[2]]


def test_the_plain_rendering_shows_the_note() -> None:
    from index import render_text

    answer = Answer(question="q", text="It rose [1]", abstained=False, citations=(citation(1, "It rose."),),
                    note="The model was unavailable.")
    assert render_text(answer).splitlines()[:4] == ["It rose [1]", "", "(The model was unavailable.)", ""]
