"""Block Kit for answers, passages and the App Home: Slack-escaped, split to fit Slack's limits."""

from __future__ import annotations

import json
from typing import Any

from index import Answer, Citation, Stats

from ..chat import Key
from ..text import clip, display_date, split_text

SECTION_CHARS = 3000  # Slack's limit on a section's text
MAX_BLOCKS = 50  # per message (100 in a Home tab view)
FALLBACK_CHARS = 3000  # the notification text: Slack allows 40,000, nobody reads that much
HEADLINE_CHARS = 200

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters, so corpus text never becomes a mention, a link or a command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare URLs, #channels or @names in the text into links itself.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def sections(text: str) -> list[Block]:
    """Plain text as escaped sections of at most SECTION_CHARS each, cut at paragraphs, sentences, words."""
    return [{"type": "section", "text": mrkdwn(escape(piece))}
            for piece in split_text(text, escape, SECTION_CHARS)]


def button_value(answer_id: str, key: Key) -> str:
    """What a button carries: the answer and its conversation (Slack signs payloads, so it is not forged)."""
    return json.dumps([answer_id, *key])


def read_value(value: str) -> tuple[str, Key]:
    answer_id, *key = json.loads(value)
    return answer_id, tuple(key)


def answer_blocks(answer: Answer, answer_id: str, key: Key, share: bool = False) -> list[Block]:
    """The answer with its [n] markers, its Sources, and the Show passages / 👍 / 👎 (/ Share) buttons."""
    blocks = sections(answer.text)
    if answer.abstained and answer.reason:
        blocks.append({"type": "context", "elements": [mrkdwn(f"_{escape(answer.reason)}_")]})
    if answer.note:  # e.g. the model was unavailable: one line, in italics
        blocks.append({"type": "context", "elements": [mrkdwn(f"_{escape(answer.note)}_")]})
    if answer.citations:
        blocks.append({"type": "context", "elements": [mrkdwn("*Sources*")]})
        blocks += [{"type": "context", "elements": [mrkdwn(source_line(c))]} for c in answer.citations]
    value = button_value(answer_id, key)
    buttons = []
    if answer.citations:
        buttons.append(_button("Show passages", "passages", value))
    buttons += [_button("👍", "feedback_up", value), _button("👎", "feedback_down", value)]
    if share:
        buttons.insert(0, {**_button("Share in channel", "share", value), "style": "primary"})
    return fit([*blocks, {"type": "actions", "block_id": "answer_actions", "elements": buttons}])


def fallback(answer: Answer) -> str:
    """The plain `text` Slack shows in notifications and where blocks cannot be drawn."""
    lines = [answer.text, *([answer.note] if answer.note else []), *map(plain_source, answer.citations)]
    text = escape("\n".join(lines))
    return text if len(text) <= FALLBACK_CHARS else text[: FALLBACK_CHARS - 1] + "…"


def passage_messages(answer: Answer) -> list[list[Block]]:
    """Every cited passage quoted under its source line, as messages of at most MAX_BLOCKS blocks."""
    if not answer.citations:
        return [sections("That answer cites no sources.")]
    blocks: list[Block] = []
    for c in answer.citations:
        blocks.append({"type": "context", "elements": [mrkdwn(source_line(c))]})
        blocks += [{"type": "section", "text": mrkdwn(escape(piece))}
                   for piece in split_text(c.text, escape, SECTION_CHARS)]
    return [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]


def fit(blocks: list[Block]) -> list[Block]:
    """At most MAX_BLOCKS: a runaway answer loses its tail sections, never its buttons."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    cut = {"type": "context", "elements": [mrkdwn("_(answer shortened to fit Slack)_")]}
    return blocks[: MAX_BLOCKS - 2] + [cut, blocks[-1]]


def source_line(c: Citation) -> str:
    """'*[1]* <url|Headline> — Title · 7 Jan 2022', escaped; the link only when the corpus gives one."""
    name = escape(clip(c.headline or c.title or c.post_id, HEADLINE_CHARS))
    if c.url and c.url.startswith(("http://", "https://")):
        name = f"<{escape(c.url).replace('|', '%7C')}|{name.replace('|', '¦')}>"
    line = f"*[{c.n}]* {name}"
    title = clip(c.title or "", HEADLINE_CHARS)
    if title and title != (c.headline or c.title):
        line += f" — _{escape(title)}_"
    details = [x for x in (c.source, display_date(c.published)) if x]
    return line + (" · " + escape(", ".join(details)) if details else "")


def plain_source(c: Citation) -> str:
    name = clip(c.headline or c.title or c.post_id, HEADLINE_CHARS)
    date = display_date(c.published)
    return f"[{c.n}] {name}" + (f" · {date}" if date else "") + (f" · {c.url}" if c.url else "")


def home_view(stats: Stats, admin: bool) -> dict[str, Any]:
    """The App Home tab: what the bot covers and how to ask it."""
    newest = display_date(stats.newest)
    covers = (f"I hold *{stats.articles:,}* article(s) with *{stats.posts:,}* post(s)"
              + (f"; the newest update is from {newest}." if newest else "; their dates are not known."))
    how = ("*How to ask*\n• In a channel: mention me with your question; I answer in a thread, "
           "and you can follow up there without mentioning me.\n• Here in a DM: just type the question.\n"
           "• Anywhere: `/ask <question>` answers only you, with a button to share it.\n"
           "• `/follow` posts new posts in that channel as they arrive; `/unfollow` stops it.\n"
           "I answer only from the coverage, with numbered sources; when it does not say, I tell you. "
           "*Show passages* quotes the sources; 👍 / 👎 tell the team how I did.")
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": "News coverage Q&A"}},
                           {"type": "section", "text": mrkdwn(covers)},
                           {"type": "section", "text": mrkdwn(how)}]
    if admin:
        blocks.append({"type": "context", "elements": [mrkdwn(
            "Admins: `/coverage reindex` rebuilds from the corpus; `/coverage stats` shows the index.")]})
    return {"type": "home", "blocks": blocks}


def _button(label: str, action_id: str, value: str) -> Block:
    return {"type": "button", "text": {"type": "plain_text", "text": label, "emoji": True},
            "action_id": action_id, "value": value}

