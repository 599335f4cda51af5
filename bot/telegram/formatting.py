"""Telegram HTML for answers and sources, split into messages of at most 4,096 UTF-16 code units."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from index import Answer, Citation

from ..text import clip, display_date, split_text

HEADLINE_CHARS = 200  # of a headline, title or source name in a Sources line
MAX_URL = 1000  # UTF-16 units of an escaped link; a longer one is not shown
# Escaped, a clipped headline can still be six times longer ('"' -> "&quot;"): three of them and a
# link must stay well within one message.
HEADLINE_ESCAPED = 600

MAX_MESSAGE = 4096  # Telegram counts UTF-16 code units: an emoji or a rare CJK character is two
# A raw piece's escaped text stays under this, leaving room for the tags around it.
PIECE_BUDGET = 3500


@dataclass(frozen=True)
class Block:
    """One paragraph of a reply, as HTML and as the plain text to fall back to."""

    html: str
    plain: str


def answer_blocks(answer: Answer) -> list[Block]:
    """The answer with its [n] markers, then the numbered sources (no passages)."""
    if answer.abstained:
        reason = f" {answer.reason}" if answer.reason else ""
        html = f"{escape(answer.text)}<i>{escape(reason)}</i>"
        if utf16_len(html) <= PIECE_BUDGET:
            return [Block(html, answer.text + reason)]
        # A reason that quotes a long question: plain pieces, since italics cannot span messages.
        return [Block(escape(p), p) for p in split_raw(answer.text + reason)]
    blocks = [Block(escape(piece), piece) for piece in split_raw(answer.text)]
    if answer.note:  # e.g. the model was unavailable: one line, in italics
        blocks.append(Block(f"<i>{escape(answer.note)}</i>", answer.note))
    # Eight sources with long titles and links can outgrow one message: the list goes on in
    # another block, cut between whole lines.
    sources = Block("<b>Sources</b>", "Sources")
    for html, plain in map(_source_line, answer.citations):
        if utf16_len(sources.html) + 1 + utf16_len(html) > PIECE_BUDGET:
            blocks.append(sources)
            sources = Block(html, plain)
        else:
            sources = Block(sources.html + "\n" + html, sources.plain + "\n" + plain)
    blocks.append(sources)
    return blocks


def passage_blocks(answer: Answer) -> list[Block]:
    """Every cited passage, quoted in full under its source line."""
    if not answer.citations:
        return [Block("That answer cites no sources.", "That answer cites no sources.")]
    blocks = []
    for c in answer.citations:
        html, plain = _source_line(c)
        quotes = [Block(f"<blockquote>{escape(p)}</blockquote>", f"“{p}”") for p in split_raw(c.text)]
        first = quotes[0]
        if utf16_len(html) + 1 + utf16_len(first.html) <= MAX_MESSAGE:
            blocks.append(Block(f"{html}\n{first.html}", f"{plain}\n{first.plain}"))
        else:  # a long source line and a full first piece: not both in one message
            blocks += [Block(html, plain), first]
        blocks += quotes[1:]
    return blocks


def pack(blocks: list[Block], limit: int = MAX_MESSAGE) -> list[Block]:
    """Join whole blocks into as few messages as fit; a message never ends inside a tag."""
    messages: list[Block] = []
    for block in blocks:
        # The HTML is never shorter than the text Telegram measures, so fitting it is enough.
        if messages and utf16_len(messages[-1].html) + 2 + utf16_len(block.html) <= limit:
            last = messages[-1]
            messages[-1] = Block(last.html + "\n\n" + block.html, last.plain + "\n\n" + block.plain)
        else:
            messages.append(block)
    return messages


def split_raw(text: str, budget: int = PIECE_BUDGET) -> list[str]:
    """Cut plain text at paragraph, then sentence, then word boundaries so each escaped piece fits."""
    return split_text(text, escape, budget, utf16_len)


def utf16_len(text: str) -> int:
    """The length Telegram sees: code points beyond the BMP take two UTF-16 units."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _source_line(c: Citation) -> tuple[str, str]:
    """'[1] Headline — Title, 7 Jan 2022 · link' as HTML and as plain text."""
    name = _clip_escaped(c.headline or c.title or c.post_id)
    title = _clip_escaped(c.title or "")
    source = _clip_escaped(c.source or "")
    html, plain = f"<b>[{c.n}]</b> {escape(name)}", f"[{c.n}] {name}"
    if title and title != name:
        html, plain = html + f" — <i>{escape(title)}</i>", plain + f" — {title}"
    details = [x for x in (source, display_date(c.published)) if x]
    if details:
        html, plain = html + ", " + escape(", ".join(details)), plain + ", " + ", ".join(details)
    # A link cut short leads nowhere, so a runaway one is left out rather than clipped.
    if c.url and utf16_len(escape(c.url, quote=True)) <= MAX_URL:
        html += f' · <a href="{escape(c.url, quote=True)}">link</a>'
        plain += f" · {c.url}"
    return html, plain



def follow_blocks(posts: list[tuple[str, str, str | None]], more: int = 0) -> list[Block]:
    """New posts for a following chat: each headline in bold, its first sentence, its link."""
    blocks = [Block("<b>New in the coverage</b>", "New in the coverage")]
    for headline, sentence, url in posts:
        headline = clip(headline, HEADLINE_CHARS)
        html, plain = f"<b>{escape(headline)}</b>\n{escape(sentence)}", f"{headline}\n{sentence}"
        if url:
            html += f' <a href="{escape(url, quote=True)}">link</a>'
            plain += f" {url}"
        blocks.append(Block(html, plain))
    if more:
        blocks.append(Block(f"…and {more} more.", f"…and {more} more."))
    return blocks


def _clip_escaped(text: str) -> str:
    """clip() to HEADLINE_CHARS, then shorter still while its escaped form is over HEADLINE_ESCAPED."""
    text = clip(text, HEADLINE_CHARS)
    while utf16_len(escape(text)) > HEADLINE_ESCAPED:
        text = clip(text, len(text) - 20)
    return text
