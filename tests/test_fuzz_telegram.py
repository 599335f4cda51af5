"""Fuzzing Telegram formatting: every message is valid Telegram HTML, fits 4,096 UTF-16 units, loses no words.

Bounded to run in seconds; FUZZ_EXAMPLES=2000 (say) runs each property that many times.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.telegram.formatting import MAX_MESSAGE, Block, answer_blocks, pack, passage_blocks, utf16_len
from index import Answer, Citation

from .standin import html_to_plain

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None)

# Telegram's HTML: these tags, only these attributes (https://core.telegram.org/bots/api#html-style).
TAGS = {"b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "ins": set(), "s": set(),
        "strike": set(), "del": set(), "a": {"href"}, "code": {"class"}, "pre": set(),
        "blockquote": {"expandable"}, "tg-spoiler": set(), "span": {"class"}, "tg-emoji": {"emoji-id"}}
ENTITIES = {"lt", "gt", "amp", "quot"}  # the only named entities Telegram knows


class StrictTelegramHTML(HTMLParser):
    """Python's own HTML tokenizer, with every leniency turned into an error."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TAGS, f"tag <{tag}> is not Telegram HTML"
        assert {name for name, _ in attrs} <= TAGS[tag], f"attributes {attrs} on <{tag}>"
        assert tag != "a" or dict(attrs).get("href"), "a link without href"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        raise AssertionError(f"self-closing <{tag}/>")

    def handle_data(self, data: str) -> None:
        assert not set(data) & set("<>&"), f"unescaped markup in {data[:80]!r}"
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        assert name in ENTITIES, f"&{name}; is not an entity Telegram knows"
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[name])

    def handle_charref(self, name: str) -> None:
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))

    def handle_comment(self, data: str) -> None:
        raise AssertionError("an HTML comment")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError("a declaration")

    def handle_pi(self, data: str) -> None:
        raise AssertionError("a processing instruction")

    def unknown_decl(self, data: str) -> None:
        raise AssertionError("a CDATA or unknown declaration")


def visible(html: str) -> str:
    """The text Telegram would show, after a strict parse (a second, independent one: the stand-in's)."""
    parser = StrictTelegramHTML()
    parser.feed(html)
    parser.close()
    assert not parser.stack, f"unclosed {parser.stack}"
    assert not parser.rawdata, f"unparsed {parser.rawdata[:80]!r}"
    text = "".join(parser.text)
    assert text == html_to_plain(html)
    return text


def check_messages(blocks: list[Block], *must_show: str) -> list[Block]:
    """Each packed message fits and parses alone (no tag broken across two); nothing is lost."""
    messages = pack(blocks)
    shown = []
    for message in messages:
        assert utf16_len(message.html) <= MAX_MESSAGE
        assert utf16_len(message.plain) <= MAX_MESSAGE  # the plain fallback fits too
        text = visible(message.html)
        assert text.strip(), "an empty message"
        assert utf16_len(text) <= MAX_MESSAGE
        shown.append(text)
    words = "".join("".join(shown).split())
    for text in must_show:
        assert "".join(text.split()) in words
    return messages


def nonblank(size: int) -> st.SearchStrategy[str]:
    # Any code point but surrogates, which cannot be sent as UTF-8 JSON at all.
    return st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=size).filter(str.strip)


def anything(size: int) -> st.SearchStrategy[str]:
    return st.one_of(nonblank(size), st.sampled_from(["<b>x</b>", "a & b", "&amp;", "<", "\"'>", "😀" * 3000,
                                                      "x" * 9000, "a.\n\nb! " * 900, "&" * 5000]))


optional = st.one_of(st.none(), anything(600))
citations = st.builds(Citation, n=st.integers(1, 12), post_id=anything(100), headline=optional,
                      title=optional, source=optional, url=optional,
                      published=st.one_of(st.none(), st.integers(631152000, 1767225600)),
                      text=anything(8000))
answers = st.builds(Answer, question=anything(100), text=anything(6000), abstained=st.booleans(),
                    citations=st.lists(citations, max_size=12).map(tuple), reason=optional)


@FUZZ
@given(answers)
@example(Answer("q", "x" * 5000, False, (Citation(1, "p", "h" * 500, "t" * 500, "s" * 2000, "u" * 3000,
                                                      None, "x"),) * 12))
@example(Answer("q", "x", False, (Citation(1, "p", '"' * 500, "&" * 500, "<" * 500, "&" * 900, None,
                                          "x"),) * 8))
def test_every_answer_is_sent_as_valid_messages(answer: Answer) -> None:
    shown = [answer.text, answer.reason or ""] if answer.abstained else [answer.text]
    check_messages(answer_blocks(answer), *shown)


@FUZZ
@given(answers)
@example(Answer("q", "x", False, (Citation(1, "p", '"' * 500, "&" * 500, "<" * 500, "&" * 900, None,
                                          "word " * 3000),)))
def test_every_sources_reply_is_sent_as_valid_messages(answer: Answer) -> None:
    check_messages(passage_blocks(answer), *(c.text for c in answer.citations))


def test_eight_sources_with_long_titles_and_links_fit_in_messages() -> None:
    """Found by this fuzzing: the Sources list was one block, over 4,096 units past about eight long lines."""
    cited = tuple(Citation(n, "p", "Headline " * 30, "Title " * 40, "Source " * 30,
                           "https://example.org/" + "a" * 300, 1736208000, "Text.") for n in range(1, 9))
    messages = check_messages(answer_blocks(Answer("q", "An answer [1].", False, cited)))
    assert len(messages) > 1 and "[8]" in visible(messages[-1].html)


def test_a_long_source_line_and_a_full_passage_go_in_two_messages() -> None:
    """Found by this fuzzing: a source line with a long link, glued to a 3,500-unit passage, was too long."""
    cited = (Citation(1, "p", "Headline " * 30, "Title " * 40, "Agency", "https://example.org/" + "a" * 600,
                      None, "A sentence of the passage. " * 200),)
    messages = check_messages(passage_blocks(Answer("q", "An answer [1].", False, cited)))
    assert visible(messages[0].html).startswith("[1] Headline")


def test_the_strict_parser_rejects_what_telegram_rejects() -> None:
    """The checks above can fail: each broken shape is caught."""
    for bad in ["<b>x", "x</b>", "<p>x</p>", "<b><i>x</b></i>", "a < b", "a > b", "R&D", "&nbsp;",
                '<a title="t">x</a>', "<br/>", "<!-- c -->"]:
        try:
            visible(bad)
        except (AssertionError, ValueError):
            continue
        raise AssertionError(f"accepted {bad!r}")
    assert visible('<b>[1]</b> <a href="https://x/?a=1&amp;b=2">link</a> &lt;3') == "[1] link <3"
