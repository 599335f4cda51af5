"""Feeds and pages fetched over real HTTP from a loopback news site into the corpus folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from index import sources
from index.cli import main as cli_main
from index.config import SourceConfig, config_from_dict
from index.documents import load_corpus
from index.sources import SourceLog, SourceStatus, make_client, poll, run_sources

from .feedserver import NewsSite

STRIKE = [("Talks called off", "Talks between the crews and the operator were called off at noon."),
          ("Ferry crews walk out", "Ferry crews at Kuryk walked out at dawn over unpaid wages.")]
ENTRIES = [("Port closes", "The port of Aktau closed on Sunday as the storm arrived."),
           ("Port reopens", "The port of Aktau reopened on Monday after the storm passed.")]


@pytest.fixture
async def site():
    server = NewsSite()
    server.posts = list(STRIKE)
    server.entries = list(ENTRIES)
    await server.start()
    yield server
    await server.stop()


def config_for(tmp_path: Path, entries: list[dict]):
    raw = {"corpus": {"path": str(tmp_path / "corpus")}, "chroma": {"path": str(tmp_path / "chroma")},
           "sources": entries}
    (tmp_path / "corpus").mkdir(exist_ok=True)
    return config_from_dict(raw, base_dir=tmp_path)


async def poll_once(source: SourceConfig, corpus: Path, status: SourceStatus | None = None, **kw):
    status = status or SourceStatus(source.url, source.kind, "site")
    async with make_client(kw.pop("timeout_s", 5.0)) as client:
        await poll(client, source, status, corpus, **kw)
    return status


async def test_atom_and_rss_entries_become_dated_articles(tmp_path: Path, site: NewsSite) -> None:
    for feed in ("atom.xml", "rss.xml"):
        status = await poll_once(SourceConfig(feed=f"{site.base}/{feed}"), tmp_path / feed)
        assert (status.status, status.items, status.written) == ("ok", 2, 2)
        articles = sorted(load_corpus(tmp_path / feed).articles, key=lambda a: a.title)
        assert [a.title for a in articles] == ["Port closes", "Port reopens"]
        assert articles[0].published is not None and articles[0].url.startswith(site.base)
        assert "closed on Sunday" in articles[0].posts[0].text


async def test_a_live_page_keeps_one_file_rewritten_when_it_gains_a_post(
        tmp_path: Path, site: NewsSite) -> None:
    source = SourceConfig(page=f"{site.base}/live")
    corpus = tmp_path / "corpus"
    status = await poll_once(source, corpus)
    [path] = list(corpus.rglob("*.md"))
    [article] = load_corpus(corpus).articles
    assert (article.title, article.source) == ("Ferry strike live", "Wire")
    assert [p.headline for p in article.posts] == ["Talks called off", "Ferry crews walk out"]
    assert "Home" not in path.read_text(encoding="utf-8")  # navigation is not main text

    site.posts.insert(0, ("Crews return", "The crews returned to work on Tuesday after a deal."))
    await poll_once(source, corpus, status)
    assert list(corpus.rglob("*.md")) == [path]
    [article] = load_corpus(corpus).articles
    assert [p.headline for p in article.posts][0] == "Crews return" and len(article.posts) == 3


async def test_an_unchanged_source_costs_one_304_and_writes_nothing(tmp_path: Path, site: NewsSite) -> None:
    for path, source in (("/live", SourceConfig(page=f"{site.base}/live")),
                         ("/atom.xml", SourceConfig(feed=f"{site.base}/atom.xml"))):
        status = await poll_once(source, tmp_path / "corpus")
        stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "corpus").rglob("*.md")}
        await poll_once(source, tmp_path / "corpus", status)
        assert (site.hits[path], site.not_modified[path], status.status) == (2, 1, "unchanged")
        assert {p: p.stat().st_mtime_ns for p in (tmp_path / "corpus").rglob("*.md")} == stamps


@pytest.mark.parametrize(("path", "kind", "expected"), [
    ("/missing", "feed", "HTTP 404"), ("/broken", "page", "HTTP 500"),
    ("/slow", "feed", "timed out"), ("/huge", "page", "cap"),
    ("/loop/0", "page", "redirect"), ("/image", "page", "not an HTML page"),
    ("/empty", "page", "no main text"), ("/live", "feed", "not an RSS or Atom feed"),
    ("/garbage", "feed", "not an RSS or Atom feed"),
])
async def test_a_fault_is_an_error_status_and_nothing_is_written(
        tmp_path: Path, site: NewsSite, path: str, kind: str, expected: str) -> None:
    site.slow_s = 3.0
    source = SourceConfig(**{kind: f"{site.base}{path}"})
    status = await poll_once(source, tmp_path / "corpus", timeout_s=1.0, max_bytes=1_000_000)
    assert status.status == "error" and expected in status.error and status.failures == 1
    assert not list((tmp_path / "corpus").rglob("*.md"))


async def test_failing_sources_back_off_and_the_others_go_on(tmp_path: Path, site: NewsSite,
                                                             monkeypatch, capsys) -> None:
    monkeypatch.setattr(sources, "BACKOFF_S", 0.2)  # 0.2, 0.4, 0.8 s instead of 30 s and on
    site.slow_s = 2.0
    config = config_for(tmp_path, [
        {"feed": f"{site.base}/missing", "every_minutes": 0.01},
        {"feed": f"{site.base}/slow", "every_minutes": 0.01},
        {"page": f"{site.base}/loop/0", "every_minutes": 0.01},
        {"page": f"{site.base}/huge", "every_minutes": 0.01},
        {"feed": f"{site.base}/atom.xml", "every_minutes": 0.01},
        {"page": f"{site.base}/live", "every_minutes": 0.01}])
    stop = asyncio.Event()
    task = asyncio.create_task(run_sources(config, stop, max_bytes=1_000_000, timeout_s=1.0))
    await asyncio.sleep(3.0)
    stop.set()
    await asyncio.wait_for(task, 10)
    book = SourceLog.open(config.corpus.path)
    by_url = {s.url: s for s in book.statuses.values()}
    assert by_url[f"{site.base}/atom.xml"].status in ("ok", "unchanged")
    assert by_url[f"{site.base}/live"].status in ("ok", "unchanged")
    assert site.not_modified["/live"] >= 1  # polled again and again, at the cost of a 304
    assert 2 <= site.hits["/missing"] <= 6  # retried, but backing off (0.2 + 0.4 + 0.8 + ...)
    for path in ("/missing", "/slow", "/loop/0", "/huge"):
        assert by_url[f"{site.base}{path}"].status == "error"
    assert len(load_corpus(config.corpus.path).articles) == 3  # two entries and the page

    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[corpus]\npath = "corpus"\n[[sources]]\nfeed = "{site.base}/missing"\n'
                           f'[[sources]]\npage = "{site.base}/live"\n', encoding="utf-8")
    assert cli_main(["sources", "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "status: error" in out and "error: HTTP 404 Not Found" in out
    assert "status: ok" in out or "status: unchanged" in out


def test_sources_config_is_checked(tmp_path: Path) -> None:
    from index.errors import ConfigError

    good = config_for(tmp_path, [{"feed": "https://example.org/rss", "every_minutes": 5}])
    assert good.sources == (SourceConfig(feed="https://example.org/rss", every_minutes=5.0),)
    for bad, message in (({"feed": "https://a", "page": "https://b"}, "not both"),
                         ({"page": "ftp://a"}, "not an http"),
                         ({"feed": "https://a", "every": 1}, "unknown key"),
                         ({"feed": "https://a", "every_minutes": 0}, "above 0")):
        with pytest.raises(ConfigError, match=message):
            config_for(tmp_path, [bad])
