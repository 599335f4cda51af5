"""Load the corpus (.txt, .md, .html, .jsonl), strip web boilerplate, split live pages into posts."""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import logging
import math
import os
import re
import stat
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

import yaml

from .errors import CorpusError
from .frontmatter import front_matter as _front_matter
from .html import parse_page
from .posts import Block, is_boilerplate, split_posts, strip_site_suffix

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + JSONL_SUFFIXES
# Defaults of [corpus] max_file_mb and max_post_chars. Far above any real article, far
# below what takes minutes and gigabytes to split (a 50 MB page took 103 s and 7.6 GB).
MAX_FILE_BYTES = 10_000_000
MAX_POST_CHARS = 500_000
# Publish times outside EARLIEST .. now + FUTURE_SLACK are typos or milliseconds: unknown.
EARLIEST = int(datetime(1990, 1, 1, tzinfo=UTC).timestamp())
FUTURE_SLACK = 2 * 86400
# Part of every file stamp: bump it when the loader reads files differently, so that the
# next build reads every file once more (and re-embeds only the articles that changed).
LOADER_VERSION = "3"  # 2: publish times range-checked; 3: HTML by trafilatura


@dataclass(frozen=True)
class Post:
    """One post of a live page (or the whole of an ordinary article): a headline and its text."""

    post_id: str
    headline: str
    text: str


@dataclass(frozen=True)
class Article:
    """One source document with what is known about it; unknown fields stay None."""

    article_id: str
    file: str  # corpus-relative path, so that a removed file's articles can be found
    title: str | None
    source: str | None
    url: str | None
    published: int | None  # seconds since the epoch, UTC
    posts: tuple[Post, ...]

    @property
    def fingerprint(self) -> str:
        payload = json.dumps(
            [self.title, self.source, self.url, self.published,
             [(p.post_id, p.headline, p.text) for p in self.posts]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file: what is wrong", one per skip
    # File read without a problem -> its stamp. A file with a problem has none, so that it
    # is read (and its problem reported) again next time.
    stamps: dict[str, str] = field(default_factory=dict)
    not_read: set[str] = field(default_factory=set)  # files the caller said are unchanged


@dataclass(frozen=True)
class Limits:
    """[corpus] caps: a file (or one JSON line) over file_bytes, a post over post_chars, is skipped."""

    file_bytes: int = MAX_FILE_BYTES
    post_chars: int = MAX_POST_CHARS


def file_stamp(path: Path) -> str:
    """Size and modification time: what make and rsync trust to say a file is unchanged."""
    return _stamp(path.stat())


def _stamp(info: os.stat_result) -> str:
    return f"{info.st_size}:{info.st_mtime_ns}:{LOADER_VERSION}"


def load_corpus(root: Path, unchanged: Callable[[str, str], bool] | None = None,
                max_file_bytes: int = MAX_FILE_BYTES, max_post_chars: int = MAX_POST_CHARS) -> LoadResult:
    """Read every supported file under root; a broken file is reported and skipped.

    unchanged(file, stamp) may say a file is known already: it is then not read at all.
    """
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root} (set [corpus] path in config.toml)")
    limits = Limits(max_file_bytes, max_post_chars)
    result = LoadResult()
    seen: set[str] = set()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts):
            continue
        info = _inspect(path, rel, result.problems)
        if info is None:
            continue
        stamp = _stamp(info)
        if unchanged is not None and unchanged(rel, stamp):
            result.not_read.add(rel)
            continue
        known = len(result.problems)
        for article in _load_file(path, rel, info, limits, result.problems):
            article = _cap_posts(article, limits, result.problems)
            if not article.posts:
                continue  # every post was over the cap, and reported
            if article.article_id in seen:
                result.problems.append(f"{rel}: duplicate article id {article.article_id!r}, skipped")
                continue
            seen.add(article.article_id)
            result.articles.append(article)
        if len(result.problems) == known:
            result.stamps[rel] = stamp
    for problem in result.problems:
        log.warning("corpus: %s", problem)
    return result


def printable(rel: str) -> str:
    """A path as text that can be printed: bytes that were not UTF-8 shown as U+FFFD."""
    return os.fsencode(rel).decode("utf-8", "replace")


def _inspect(path: Path, rel: str, problems: list[str]) -> os.stat_result | None:
    """The stat of a file to read; None for anything else, with a problem when it is worth one.

    Folders are walked by rglob; a link, FIFO or device is never opened, since reading a
    FIFO or /dev/zero would block or never end.
    """
    try:
        if stat.S_ISDIR(path.lstat().st_mode):
            return None
        info = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "a symbolic link loop"
        elif exc.errno == errno.ENOENT and path.is_symlink():
            reason = "a symbolic link to nothing"
        else:
            reason = exc.strerror or str(exc)
        problems.append(f"{printable(rel)}: {reason}, not read")
        return None
    if stat.S_ISDIR(info.st_mode):
        problems.append(f"{printable(rel)}: a link to a folder; links to folders are not followed")
        return None
    if not path.name.lower().endswith(SUFFIXES):
        log.info("corpus: %s: not a supported file type, ignored", printable(rel))
        return None
    if not stat.S_ISREG(info.st_mode):
        problems.append(f"{printable(rel)}: not a regular file (a FIFO, device or socket), not read")
        return None
    if printable(rel) != rel:
        problems.append(f"{printable(rel)}: the file name is not valid UTF-8 (rename the file), not read")
        return None
    return info


def _load_file(path: Path, rel: str, info: os.stat_result, limits: Limits,
               problems: list[str]) -> Iterator[Article]:
    name = path.name.lower()
    try:
        if name.endswith(JSONL_SUFFIXES):
            yield from _parse_jsonl(path, rel, limits, problems)
            return
        if info.st_size > limits.file_bytes:
            raise ValueError(_over_file_cap(info.st_size, limits))
        if name.endswith(TEXT_SUFFIXES):
            article = _parse_text(_read_text(path, limits), rel, markdown=not name.endswith(".txt"))
        else:
            article = _parse_html(_read_text(path, limits), rel)
        yield _require_text(article, rel)
    except (ValueError, yaml.YAMLError, OSError, RecursionError) as exc:  # deep nesting: Recursion
        problems.append(f"{rel}: {exc}")


def _over_file_cap(size: int, limits: Limits) -> str:
    return f"{size:,} bytes, over [corpus] max_file_mb = {limits.file_bytes / 1e6:g}; not read"


def _read_text(path: Path, limits: Limits) -> str:
    with path.open("rb") as handle:
        data = handle.read(limits.file_bytes + 1)  # bounded even if the file grew since stat
    if len(data) > limits.file_bytes:
        raise ValueError(_over_file_cap(len(data), limits))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _cap_posts(article: Article, limits: Limits, problems: list[str]) -> Article:
    """The article without its posts over the cap, each reported; the other posts stay."""
    kept = []
    for post in article.posts:
        if len(post.text) > limits.post_chars:
            problems.append(f"{article.file}: post {post.post_id!r} is {len(post.text):,} characters, "
                            f"over [corpus] max_post_chars = {limits.post_chars:,}; skipped")
        else:
            kept.append(post)
    return article if len(kept) == len(article.posts) else replace(article, posts=tuple(kept))


def _require_text(article: Article, rel: str) -> Article:
    if not article.posts:
        raise ValueError("no article text found")
    return article


def _parse_text(text: str, rel: str, markdown: bool) -> Article:
    meta, body = _front_matter(text)
    blocks = [Block(line.strip()) for line in body.splitlines() if line.strip()]
    if markdown:  # a bare "#" or "[](link)" line leaves nothing
        blocks = [b for b in (_markdown_block(b.text) for b in blocks) if b.text]
    title = meta.get("title")
    if title is None and blocks and blocks[0].could_be_title():
        title = blocks.pop(0).text.lstrip("# ").strip()
    return _article(rel, rel, meta, title, blocks)


def _markdown_block(line: str) -> Block:
    if line.startswith("#"):
        return Block(line.lstrip("#").strip(), heading=True)
    return Block(re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line))  # [text](link) -> text


def _parse_html(text: str, rel: str) -> Article:
    page = parse_page(text)  # trafilatura's main text; index/html.py says when it is not used
    return _article(rel, rel, page.meta, page.title, page.blocks)


def _parse_jsonl(path: Path, rel: str, limits: Limits, problems: list[str]) -> Iterator[Article]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig") as handle:
        lineno = 0
        try:
            for lineno, line in enumerate(_bounded_lines(handle, limits.file_bytes), 1):
                if line is None:
                    problems.append(f"{rel}:{lineno}: the record is over [corpus] max_file_mb = "
                                    f"{limits.file_bytes / 1e6:g}; skipped")
                    continue
                if not line.strip():
                    continue
                try:
                    yield _jsonl_article(json.loads(line), rel, lineno)
                except (ValueError, TypeError, RecursionError) as exc:
                    problems.append(f"{rel}:{lineno}: {exc}")
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, zlib.error) as exc:
            problems.append(f"{rel}: unreadable after line {lineno}: {exc}")


def _bounded_lines(handle: TextIO, limit: int) -> Iterator[str | None]:
    """Each line, or None for one over limit characters, which is read past but never held."""
    while line := handle.readline(limit + 1):
        if len(line) > limit and not line.endswith("\n"):
            while (rest := handle.readline(limit)) and not rest.endswith("\n"):
                pass
            yield None
        else:
            yield line


def _jsonl_article(record: object, rel: str, lineno: int) -> Article:
    if not isinstance(record, dict):
        raise ValueError("line is not a JSON object")
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("no 'text'")
    article_id = str(record.get("id") or f"{rel}:{lineno}")
    blocks = [Block(line.strip()) for line in text.splitlines() if line.strip()]
    meta = {k: record.get(k) for k in ("source", "url")}
    meta["published"] = record.get("published", record.get("date"))
    return _article(article_id, rel, meta, record.get("title"), blocks)


def _article(article_id: str, rel: str, meta: dict, title: object, blocks: list[Block]) -> Article:
    title = strip_site_suffix(str(title).strip()) if title else None
    blocks = [b for b in blocks if not is_boilerplate(b.text)]
    posts = tuple(
        Post(f"{article_id}#{slug}", headline, text)
        for slug, headline, text in split_posts(blocks, title)
    )
    article = Article(article_id=article_id, file=rel, title=title or None,
                      source=_optional_str(meta.get("source")), url=_optional_str(meta.get("url")),
                      published=_published(meta.get("published", meta.get("date")), article_id),
                      posts=posts)
    try:  # JSON and YAML escapes such as "\ud800" give text that no file or store can hold
        article.fingerprint.encode()
    except UnicodeEncodeError:
        raise ValueError("text holds a lone surrogate (an escape such as \\ud800)") from None
    return article


def _published(value: object, article_id: str) -> int | None:
    try:
        seconds = parse_date(value)
    except ValueError as exc:
        log.warning("corpus: %s: %s; publish time left unknown", article_id, exc)
        return None
    if seconds is not None and not EARLIEST <= seconds <= time.time() + FUTURE_SLACK:
        log.warning("corpus: %s: publish time %r is not between 1990 and two days from now; "
                    "left unknown", article_id, value)
        return None
    return seconds


def _optional_str(value: object) -> str | None:
    return str(value).strip() or None if value not in (None, "") else None


def parse_date(value: object) -> int | None:
    """A publish date or time (ISO 8601, YYYY/MM/DD, or a YAML date) as epoch seconds, UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):  # JSON's Infinity and NaN
            raise ValueError(f"unreadable date {value!r}")
        return int(value)
    else:
        text = str(value).strip().replace("/", "-").replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unreadable date {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return int(moment.timestamp())
    except (OverflowError, OSError):  # year 1 with a positive offset, and the like
        raise ValueError(f"unreadable date {value!r}") from None
