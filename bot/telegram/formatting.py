"""Telegram HTML for answers and sources, split into messages of at most 4,096 UTF-16 code units."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from index import Answer, Citation

from ..text import clip, display_date, split_text

HEADLINE_CHARS = 200  # of a headline or title in a Sources line

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
    lines = [_source_line(c) for c in answer.citations]
    blocks.append(Block("<b>Sources</b>\n" + "\n".join(h for h, _ in lines),
                        "Sources\n" + "\n".join(p for _, p in lines)))
    return blocks


def passage_blocks(answer: Answer) -> list[Block]:
    """Every cited passage, quoted in full under its source line."""
    if not answer.citations:
        return [Block("That answer cites no sources.", "That answer cites no sources.")]
    blocks = []
    for c in answer.citations:
        html, plain = _source_line(c)
        pieces = split_raw(c.text)
        first = pieces[0]
        blocks.append(Block(f"{html}\n<blockquote>{escape(first)}</blockquote>", f"{plain}\n“{first}”"))
        blocks += [Block(f"<blockquote>{escape(p)}</blockquote>", f"“{p}”") for p in pieces[1:]]
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
    name = clip(c.headline or c.title or c.post_id, HEADLINE_CHARS)
    title = clip(c.title or "", HEADLINE_CHARS)
    html, plain = f"<b>[{c.n}]</b> {escape(name)}", f"[{c.n}] {name}"
    if title and title != name:
        html, plain = html + f" — <i>{escape(title)}</i>", plain + f" — {title}"
    details = [x for x in (c.source, display_date(c.published)) if x]
    if details:
        html, plain = html + ", " + escape(", ".join(details)), plain + ", " + ", ".join(details)
    if c.url:
        html += f' · <a href="{escape(c.url, quote=True)}">link</a>'
        plain += f" · {c.url}"
    return html, plain

