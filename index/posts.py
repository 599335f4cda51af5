"""Tell headlines from paragraphs and boilerplate, and split a page into its posts."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

# Whole lines that scraping leaves behind: sharing, navigation, comment forms.
_BOILERPLATE = re.compile(
    r"^(source link|show (more|less)|related (articles?|stories|posts|content|coverage)"
    r"|leave a (reply|comment)|back to top( button)?|share( this)?( article| story| post)?"
    r"|share (on|via) \w+|advertisement|skip to (main )?content|post navigation"
    r"|(previous|next) (post|article|story)|print|e-?mail|facebook|twitter|whatsapp"
    r"|linkedin|copy link|comments?|loading\W*|subscribe( now)?|sign in|log in"
    r"|your email address will not be published\..*|required fields are marked.*"
    r"|(click here|read more|sign up|follow us)\b.{0,80})$",
    re.IGNORECASE,
)
# An image caption ends with a credit such as "[Vladimir Tretyakov/AP]" or "(Photo: Reuters)".
_CAPTION = re.compile(r"(\[[^\[\]]{2,80}\]|\((photo|image|credit)[^()]{0,80}\))\s*$", re.I)
_CLOSERS = "’”\"')]»"
_SENTENCE_END = ".!?:;,…"
MAX_HEADLINE_CHARS = 150
MAX_HEADLINE_WORDS = 20


@dataclass(frozen=True)
class Block:
    """One line or paragraph; heading is known for HTML and Markdown, guessed for plain text."""

    text: str
    heading: bool | None = None

    def is_caption(self) -> bool:
        return bool(_CAPTION.search(self.text))

    def could_be_title(self) -> bool:
        """Short, capitalised, and not ending like a sentence: a title or a headline."""
        text = self.text.lstrip("# ").strip()
        if self.heading is False or self.is_caption() or not text:
            return False
        if len(text) > MAX_HEADLINE_CHARS or len(text.split()) > MAX_HEADLINE_WORDS:
            return False
        if not (text[0].isupper() or text[0].isdigit() or text[0] in "‘“'\""):
            return False
        return text.rstrip(_CLOSERS)[-1:] not in _SENTENCE_END


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.match(line.strip()))


def strip_site_suffix(title: str) -> str:
    """'Kazakh leader ...: Live updates | Protests News' -> the part before the site's section."""
    head, sep, tail = title.rpartition(" | ")
    return head.strip() if sep and head.strip() and len(tail.split()) <= 4 else title


def slugify(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "post"


def split_posts(blocks: list[Block], title: str | None) -> Iterator[tuple[str, str, str]]:
    """Yield (slug, headline, text) per post; text before the first headline is the lead.

    A page with fewer than two headlines is one post: a lone short line in an ordinary
    article is more likely a pull quote than the start of a new post.
    """
    marks = [_is_headline(blocks, i) for i in range(len(blocks))]
    if sum(marks) < 2:
        marks = [False] * len(blocks)
    used: set[str] = set()
    headline, slug, paragraphs = title or "", "lead", []
    for block, is_head in zip(blocks, marks):
        if is_head:
            if paragraphs:
                yield _unique(slug, used), headline or "", "\n\n".join(paragraphs)
            headline, slug, paragraphs = block.text, slugify(block.text), []
        else:
            paragraphs.append(block.text)
    if paragraphs:
        yield _unique(slug, used), headline or "", "\n\n".join(paragraphs)


def _is_headline(blocks: list[Block], i: int) -> bool:
    block = blocks[i]
    if block.heading is not None:
        return block.heading
    following = blocks[i + 1] if i + 1 < len(blocks) else None
    # A headline introduces a paragraph; two short lines in a row are not a post.
    return (block.could_be_title() and following is not None
            and not (following.heading or following.could_be_title()))


def _unique(slug: str, used: set[str]) -> str:
    """The slug, or slug-2, slug-3, ...: the first not taken, since a headline can itself
    slugify to "wyoming-2" ("Wyoming (2)") after two "Wyoming" posts."""
    unique, n = slug, 1
    while unique in used:
        n += 1
        unique = f"{slug}-{n}"
    used.add(unique)
    return unique
