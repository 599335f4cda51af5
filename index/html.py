"""HTML pages to metadata, title and blocks: trafilatura's main text, or the hand-written stripping."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from .posts import Block, strip_site_suffix

HEADING_TAGS = ("h1", "h2", "h3", "h4")
# trafilatura's output tree (its XML format): what becomes a block, and how a heading is named.
TEXT_ELEMENTS = ("head", "p", "item", "quote")
# Publish times with their time of day (htmldate's default keeps the date alone), original not
# last-modified: a live page is dated by when it began, as the other loaders date it.
DATE_PARAMS = {"outputformat": "%Y-%m-%dT%H:%M:%S%z", "original_date": True, "extensive_search": True}


class Page(NamedTuple):
    """What an HTML page gives the loader: source, url and published; its title; its blocks."""

    meta: dict[str, str | None]
    title: str | None
    blocks: list[Block]


def parse_page(html: str) -> Page:
    """trafilatura's main text and metadata; the hand-written stripping if it finds no text."""
    page = extracted(html)
    return page if page is not None and page.blocks else stripped(html)


@lru_cache(maxsize=1)
def _settings() -> Any:
    """trafilatura's settings, but a short main text is kept: below 250 characters it would fall
    back to the whole <body> as one paragraph, navigation and all (a two-paragraph brief did)."""
    from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "MIN_OUTPUT_SIZE", "1")
    return config


def extracted(html: str | bytes, url: str | None = None) -> Page | None:
    """The main text by trafilatura (comments left out), one block per paragraph, heading or list item.

    The one extraction for local .html files and for fetched pages (index.sources)."""
    import trafilatura

    # Tables left out: a layout table (the whole page in cells) was taken whole, navigation and
    # related links with it (bench.extract, "table" pages); the hand-written stripping never read
    # table cells either.
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, date_extraction_params=DATE_PARAMS,
                                      config=_settings())
    if doc is None or doc.body is None:
        return None
    for line_break in doc.body.iter("lb"):  # <br>: a space, so the words on either side stay two
        line_break.text = " "
    title = (doc.title or "").strip() or None
    blocks = []
    for element in doc.body.iter(*TEXT_ELEMENTS):
        if element.tag == "item" and element.getparent() is not None and element.getparent().tag != "list":
            continue
        if element.tag in ("p", "quote") and _inside(element, ("item", "quote")):
            continue  # its text is part of the enclosing block
        words = " ".join("".join(element.itertext()).split())
        heading = element.tag == "head"
        if words and not (heading and title and strip_site_suffix(title) == words):
            blocks.append(Block(words, heading=heading))
    meta = {"source": doc.sitename or None, "url": doc.url or None, "published": doc.date or None,
            "author": doc.author or None}
    return Page(meta, title, blocks)


def markdown(blocks: list[Block]) -> str:
    """The blocks as the Markdown the loader reads back: a heading as "## ...", paragraphs apart."""
    return "\n\n".join(f"## {b.text}" if b.heading else b.text for b in blocks)


def _inside(element: Any, tags: tuple[str, ...]) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def stripped(html: str) -> Page:
    """The hand-written stripping: semantic boilerplate tags removed, then the text blocks of
    the <article> (or <main>, or <body>)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")

    def meta(*names: str) -> str | None:
        for name in names:
            tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
            if tag and tag.get("content", "").strip():
                return tag["content"].strip()
        return None

    canonical = soup.find("link", rel="canonical")
    time_tag = soup.find("time", datetime=True)
    info = {
        "source": meta("og:site_name"),
        "url": meta("og:url") or (canonical.get("href") if canonical else None),
        "published": meta("article:published_time", "date", "pubdate")
        or (time_tag["datetime"] if time_tag else None),
    }
    h1 = soup.find("h1")
    title = meta("og:title") or (soup.title.get_text(" ", strip=True) if soup.title else None)
    title = title or (h1.get_text(" ", strip=True) if h1 else None)
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside",
                     "form", "iframe", "button", "svg", "template"]):
        tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    blocks = []
    for el in root.find_all([*HEADING_TAGS, "p", "li", "figcaption", "blockquote"]):
        if el.find_parent(["p", "li", "figcaption", "blockquote"]):
            continue  # its text is part of the enclosing block
        words = el.get_text(" ", strip=True)
        if not words or (el.name == "h1" and title and strip_site_suffix(title) == words):
            continue
        blocks.append(Block(words, heading=el.name in HEADING_TAGS))
    return Page(info, title, blocks)
