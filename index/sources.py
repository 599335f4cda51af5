"""Feeds and pages (feedparser, httpx, trafilatura) fetched into the corpus folder as front-matter files."""

from __future__ import annotations

import asyncio
import calendar
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from .config import Config, SourceConfig
from .html import extracted, markdown
from .posts import slugify

log = logging.getLogger(__name__)

USER_AGENT = "coverage-bot/0.1 (live coverage fetcher; one request per source every few minutes)"
TIMEOUT_S = 20.0
MAX_BYTES = 5_000_000  # a news page is well under 1 MB; a 50 MB body is refused, not read
MAX_REDIRECTS = 5
BACKOFF_S = 30.0  # the first retry after a failure; doubled per failure, up to every_minutes
FOLDER = "sources"  # under [corpus] path: what the fetchers write, one file per item
STATE_FILE = ".sources.json"  # hidden, so neither the loader nor the watcher reads it
MIN_TEXT_CHARS = 40  # less main text than this is a page without an article
HTML_TYPES = ("text/html", "application/xhtml+xml")


class FetchError(Exception):
    """A source could not be fetched or read; the message says why, for logs and `sources`."""


@dataclass
class Item:
    """One feed entry or one page, as it will be written into the corpus."""

    key: str  # what names its file: the entry id or the page URL
    title: str | None
    url: str | None
    published: str | None
    source: str | None
    text: str
    author: str | None = None


@dataclass
class SourceStatus:
    """What `python -m index sources` shows, and what the next conditional request sends."""

    url: str
    kind: str
    name: str
    last_fetch: float | None = None
    status: str = "never fetched"  # ok | unchanged | error
    http: int | None = None
    items: int = 0  # entries (or 1, a page) in the last successful fetch
    written: int = 0  # files written or rewritten, over all fetches
    error: str | None = None
    failures: int = 0  # in a row; decides the backoff
    etag: str | None = None
    last_modified: str | None = None


def source_name(source: SourceConfig) -> str:
    return slugify(source.name or urlsplit(source.url).hostname or "source", 40)


class SourceLog:
    """Every source's status, kept in `[corpus] path`/.sources.json between runs."""

    def __init__(self, path: Path, statuses: dict[str, SourceStatus]) -> None:
        self.path = path
        self.statuses = statuses

    @classmethod
    def open(cls, corpus: Path) -> SourceLog:
        path = corpus / STATE_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            known = {f.name for f in dataclasses.fields(SourceStatus)}
            statuses = {url: SourceStatus(**{k: v for k, v in s.items() if k in known})
                        for url, s in raw.items()}
        except (OSError, ValueError, TypeError):  # none yet, or unreadable: start afresh
            statuses = {}
        return cls(path, statuses)

    def of(self, source: SourceConfig) -> SourceStatus:
        fresh = SourceStatus(source.url, source.kind, source_name(source))
        return self.statuses.setdefault(source.url, fresh)

    def save(self) -> None:
        data = {url: dataclasses.asdict(s) for url, s in self.statuses.items()}
        _write_atomic(self.path, json.dumps(data, indent=1, ensure_ascii=False))


def make_client(timeout_s: float = TIMEOUT_S) -> httpx.AsyncClient:
    return httpx.AsyncClient(follow_redirects=True, max_redirects=MAX_REDIRECTS,
                             timeout=httpx.Timeout(timeout_s), headers={"User-Agent": USER_AGENT})


@dataclass
class Fetched:
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None


async def fetch(client: httpx.AsyncClient, url: str, status: SourceStatus,
                max_bytes: int = MAX_BYTES) -> Fetched | None:
    """The body, or None when the server says it has not changed (304); FetchError otherwise."""
    headers = {}
    if status.etag:
        headers["If-None-Match"] = status.etag
    if status.last_modified:
        headers["If-Modified-Since"] = status.last_modified
    try:
        async with client.stream("GET", url, headers=headers) as reply:
            status.http = reply.status_code
            if reply.status_code == 304:
                return None
            if reply.status_code >= 400:
                raise FetchError(f"HTTP {reply.status_code} {reply.reason_phrase}")
            declared = reply.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{int(declared):,} bytes, over the {max_bytes:,}-byte cap; not read")
            body = bytearray()
            async for part in reply.aiter_bytes():
                body += part
                if len(body) > max_bytes:  # no (or a false) Content-Length: stop reading
                    raise FetchError(f"over the {max_bytes:,}-byte cap; not read")
            kind = reply.headers.get("content-type", "").split(";")[0].strip().lower()
            return Fetched(reply.status_code, bytes(body), kind, reply.headers.get("etag"),
                           reply.headers.get("last-modified"))
    except httpx.TooManyRedirects:
        raise FetchError(f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
    except httpx.TimeoutException as exc:
        raise FetchError(f"timed out ({exc.__class__.__name__})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{exc.__class__.__name__}: {exc}") from None


def feed_items(body: bytes) -> list[Item]:
    """The entries of an RSS or Atom feed; FetchError for anything else (HTML, garbage)."""
    import feedparser

    parsed = feedparser.parse(body)
    version = parsed.get("version") or ""
    if not parsed.entries and (parsed.bozo or not version):
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FetchError(f"not an RSS or Atom feed ({reason})")
    source = parsed.feed.get("title")
    items = []
    for entry in parsed.entries:
        content = entry.get("content") or [{}]
        text = _html_text(content[0].get("value") or entry.get("summary") or "")
        if not text:
            continue  # an entry without words says nothing to index
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append(Item(key=entry.get("id") or entry.get("link") or entry.get("title") or text[:200],
                          title=entry.get("title"), url=entry.get("link"), source=source,
                          published=_iso(calendar.timegm(when)) if when else None, text=text,
                          author=entry.get("author")))
    return items


def page_item(fetched: Fetched, url: str) -> Item:
    """The main text and metadata of a page, extracted as local .html files are (index.html);
    FetchError if it is no HTML or empty. Headings stay "## ..." lines, so posts still split."""
    if fetched.content_type and fetched.content_type not in HTML_TYPES:
        raise FetchError(f"not an HTML page (content type {fetched.content_type})")
    page = extracted(fetched.body, url=url)
    text = markdown(page.blocks) if page is not None else ""  # the title goes in the front matter
    if len(text) < MIN_TEXT_CHARS:
        raise FetchError(f"the page has no main text to extract (got {text[:40]!r})")
    meta = page.meta
    return Item(key=url, title=page.title, url=meta["url"] or url, published=meta["published"],
                source=meta["source"], text=text, author=meta["author"])


def _html_text(fragment: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(fragment, "html.parser").get_text(" ", strip=True)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def item_path(folder: Path, item: Item) -> Path:
    """One file per item, named by its title and a digest of its key: a live page's URL
    keeps its file, rewritten in place when the page changes."""
    digest = hashlib.sha256(item.key.encode("utf-8")).hexdigest()[:10]
    return folder / f"{slugify(item.title or 'item', 50)}-{digest}.md"


def item_text(item: Item) -> str:
    meta = {k: v for k, v in (("title", item.title), ("source", item.source), ("url", item.url),
                              ("published", item.published), ("author", item.author)) if v}
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + item.text + "\n"


def write_item(folder: Path, item: Item) -> bool:
    """Write the item's file if it is new or changed; whether it was. Never half a file:
    written beside it under a hidden name, then renamed over it."""
    folder.mkdir(parents=True, exist_ok=True)
    path, text = item_path(folder, item), item_text(item)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    _write_atomic(path, text)
    return True


def _write_atomic(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.part")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


async def poll(client: httpx.AsyncClient, source: SourceConfig, status: SourceStatus, corpus: Path,
               max_bytes: int = MAX_BYTES) -> float:
    """Fetch one source once, write what changed; the seconds until it is due again."""
    status.last_fetch = time.time()
    try:
        fetched = await fetch(client, source.url, status, max_bytes)
        if fetched is None:
            status.status, status.error, status.failures = "unchanged", None, 0
            return source.every_minutes * 60
        items = feed_items(fetched.body) if source.feed else [page_item(fetched, source.url)]
    except FetchError as exc:
        status.status, status.error = "error", str(exc)
        status.failures += 1
        log.warning("source %s: %s", source.url, exc)
        return min(source.every_minutes * 60, BACKOFF_S * 2 ** (status.failures - 1))
    folder = corpus / FOLDER / status.name
    written = sum(write_item(folder, item) for item in items)
    status.status, status.error, status.failures = "ok", None, 0
    status.items, status.written = len(items), status.written + written
    status.etag, status.last_modified = fetched.etag, fetched.last_modified
    log.info("source %s: %d item(s), %d written", source.url, len(items), written)
    return source.every_minutes * 60


async def run_sources(config: Config, stop: asyncio.Event, max_bytes: int = MAX_BYTES,
                      timeout_s: float = TIMEOUT_S) -> None:
    """Poll every `[[sources]]` entry on its own schedule until stop is set.

    Each source runs alone: one that fails (or raises anything) is logged and retried with
    backoff, and the others go on.
    """
    corpus = config.corpus.path
    book = SourceLog.open(corpus)
    async with make_client(timeout_s) as client:
        async def loop(source: SourceConfig) -> None:
            while not stop.is_set():
                status = book.of(source)
                try:
                    delay = await poll(client, source, status, corpus, max_bytes)
                except Exception as exc:  # a bug or a disk error here must not stop the others
                    log.exception("source %s failed", source.url)
                    status.status, status.error = "error", f"{exc.__class__.__name__}: {exc}"
                    status.failures += 1
                    delay = min(source.every_minutes * 60, BACKOFF_S * 2 ** (status.failures - 1))
                book.save()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)

        await asyncio.gather(*(loop(s) for s in config.sources))


async def add_pages(config: Config, urls: list[str]) -> list[tuple[str, str]]:
    """Fetch these pages once into the corpus: (url, what happened) for each."""
    out = []
    async with make_client() as client:
        for url in urls:
            status = SourceStatus(url, "page", "added")
            source = SourceConfig(page=url)
            await poll(client, source, status, config.corpus.path)
            out.append((url, status.error or f"{status.written} file(s) written"))
    return out
