"""The command line: `python -m index build|stats|ask|add|sources`, a thin layer over the library API."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from .config import Config, load_config
from .documents import parse_date
from .errors import CoverageError, QuestionError

DEFAULT_CONFIG = "config.toml"
DAY = 86400


def parse_as_of(value: str | None) -> int | None:
    """'2022-01-08' means the end of that day (UTC); a full timestamp means that moment."""
    if not value:
        return None
    try:
        moment = parse_date(value)
    except ValueError:
        raise QuestionError(f"--as-of: unreadable date {value!r} (use YYYY-MM-DD)") from None
    date_only = len(value.strip()) <= 10
    return moment + DAY - 1 if date_only else moment


def quiet_logging(level: int = logging.WARNING) -> None:
    """Our warnings on stderr; libraries quieter. httpx logs request URLs (with bot tokens) at INFO."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for name in ("httpx", "chromadb", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    quiet_logging(logging.INFO if args.verbose else logging.WARNING)
    try:
        config = load_config(args.config)
        return args.run(config, args)
    except CoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=DEFAULT_CONFIG, help="config file (default: %(default)s)")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    build = sub.add_parser("build", parents=[common], help="index the corpus (incremental)")
    build.add_argument("--no-progress", action="store_true", help="no progress bar")
    build.add_argument("--json", action="store_true", help="the report as one JSON object")
    build.set_defaults(run=_build)

    stats = sub.add_parser("stats", parents=[common], help="what the index holds")
    stats.add_argument("--json", action="store_true", help="one JSON object")
    stats.set_defaults(run=_stats)

    ask = sub.add_parser("ask", parents=[common], help="answer a question from the coverage")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--json", action="store_true", help="one JSON object")
    ask.add_argument("--as-of", help="answer from what was published by then (YYYY-MM-DD)")
    ask.add_argument("--batch", type=Path, help="JSON lines {question, as_of?} in; JSON lines out")
    ask.set_defaults(run=_ask)
    add = sub.add_parser("add", parents=[common], help="fetch pages into the corpus, then build")
    add.add_argument("urls", nargs="+", metavar="URL", help="http(s) pages")
    add.set_defaults(run=_add)

    sources = sub.add_parser("sources", parents=[common], help="the [[sources]] and their last fetch")
    sources.add_argument("--json", action="store_true", help="one JSON object")
    sources.set_defaults(run=_sources)
    return parser


def _add(config: Config, args: argparse.Namespace) -> int:
    import asyncio

    from .build import build_index
    from .sources import add_pages

    bad = [u for u in args.urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise QuestionError(f"not an http(s) address: {bad[0]}")
    results = asyncio.run(add_pages(config, args.urls))
    for url, outcome in results:
        print(f"{url}: {outcome}")
    print(build_index(config, progress=False).summary())
    return 1 if any("written" not in outcome for _, outcome in results) else 0


def _sources(config: Config, args: argparse.Namespace) -> int:
    from .sources import SourceLog

    book = SourceLog.open(config.corpus.path)
    rows = [book.statuses.get(s.url) or book.of(s) for s in config.sources]
    if args.json:
        print(json.dumps([dataclasses.asdict(r) for r in rows]))
        return 0
    if not rows:
        print("no [[sources]] in the config")
    for r in rows:
        when = (datetime.fromtimestamp(r.last_fetch, tz=UTC).isoformat(timespec="seconds")
                if r.last_fetch else "never")
        line = f"{r.kind} {r.url}\n  last fetch: {when}; status: {r.status}; items: {r.items}"
        print(line + (f"\n  error: {r.error}" if r.error else ""))
    return 0


def _build(config: Config, args: argparse.Namespace) -> int:
    from .build import build_index

    report = build_index(config, progress=not (args.no_progress or args.json))
    if args.json:  # the new posts' texts would make a first build's line megabytes long
        print(json.dumps(dataclasses.asdict(report) | {"new_posts": len(report.new_posts)}))
    else:
        print(report.summary())
    return 0


def _stats(config: Config, args: argparse.Namespace) -> int:
    from .store import Store

    stats = Store.open(config.chroma).stats()
    newest = (datetime.fromtimestamp(stats.newest, tz=UTC).isoformat()
              if stats.newest is not None else None)
    figures = {"documents": stats.articles, "posts": stats.posts, "chunks": stats.chunks,
               "newest_update": newest}
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key.replace('_', ' ')}: {value if value is not None else 'unknown (undated)'}")
    return 0


def _ask(config: Config, args: argparse.Namespace) -> int:
    from .engine import Engine
    from .render import render_text

    if bool(args.question) == bool(args.batch):
        raise QuestionError("ask takes a question or --batch FILE (one of the two)")
    engine = Engine(config)
    if args.batch:
        return _ask_batch(engine, args.batch, sys.stdout)
    answer = engine.answer(args.question, as_of=parse_as_of(args.as_of))
    print(json.dumps(answer.to_json(), ensure_ascii=False) if args.json else render_text(answer))
    return 0


def _ask_batch(engine: object, path: Path, out: TextIO) -> int:
    """One JSON object out per line in; a bad line gets an error object, the rest go on."""
    failures = 0
    for lineno, question, as_of in _batch_lines(path):
        try:
            if question is None:
                raise QuestionError('not a JSON object with a "question"')
            record = engine.answer(question, as_of=parse_as_of(as_of)).to_json()
        except QuestionError as exc:
            failures += 1
            record = {"question": question, "error": str(exc), "line": lineno}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return 1 if failures else 0


def _batch_lines(path: Path) -> Iterator[tuple[int, str | None, str | None]]:
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise QuestionError(f"--batch: cannot read {path}: {exc.strerror}") from None
    with handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                yield lineno, str(record["question"]), record.get("as_of")
            except (ValueError, KeyError, TypeError):
                yield lineno, None, None  # answered with an error object, in order
