"""The loader and one bad record: reported and skipped, or its bad field left unknown; the rest loads."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from index.documents import load_corpus

GOOD = {"id": "good", "title": "Harbour reopens", "text": "The harbour reopened on Tuesday."}


def ids(result) -> list[str]:
    return sorted(a.article_id for a in result.articles)


def test_an_infinite_or_nan_publish_time_is_left_unknown(tmp_path: Path, caplog) -> None:
    lines = [json.dumps(dict(GOOD, id=f"r{i}", published=value))
             for i, value in enumerate([float("inf"), float("-inf"), float("nan")])]
    (tmp_path / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.documents"):
        result = load_corpus(tmp_path)
    assert ids(result) == ["r0", "r1", "r2"] and result.problems == []
    assert all(a.published is None for a in result.articles)
    assert "unreadable date inf" in caplog.text and "unreadable date nan" in caplog.text


@pytest.mark.parametrize("published", [
    1641600000000,  # epoch milliseconds
    99999999999999,
    1e30,
    pytest.param(10 ** 400, id="10**400"),
    "9999-12-31",
    "1970-01-02",
    (datetime.now(UTC) + timedelta(days=5)).isoformat(),
])
def test_a_publish_time_outside_1990_to_now_is_left_unknown(tmp_path: Path, published, caplog) -> None:
    (tmp_path / "wire.jsonl").write_text(
        json.dumps(dict(GOOD, published=published)) + "\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.documents"):
        [article] = load_corpus(tmp_path).articles
    assert article.published is None
    assert "left unknown" in caplog.text


def test_yaml_dates_at_the_edges_of_the_range(tmp_path: Path) -> None:
    (tmp_path / "far.md").write_text("---\ntitle: Far\npublished: 9999-12-31\n---\nFar text.\n",
                                     encoding="utf-8")
    (tmp_path / "fine.md").write_text("---\ntitle: Fine\npublished: 2022-01-07\n---\nFine text.\n",
                                      encoding="utf-8")
    by_id = {a.article_id: a for a in load_corpus(tmp_path).articles}
    assert by_id["far.md"].published is None
    assert by_id["fine.md"].published == int(datetime(2022, 1, 7, tzinfo=UTC).timestamp())


def test_a_file_name_that_is_not_utf8_is_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A fine article about the harbour.\n", encoding="utf-8")
    (tmp_path / os.fsdecode(b"caf\xe9.txt")).write_text("Cafe owners protest.\n", encoding="utf-8")
    result = load_corpus(tmp_path)
    assert ids(result) == ["good.txt"]
    [problem] = result.problems
    assert problem.startswith("caf\ufffd.txt:") and "UTF-8" in problem
    problem.encode("utf-8")  # printable as it is: no lone surrogates left in it


def test_files_and_posts_over_the_size_caps_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A fine article about the harbour.\n", encoding="utf-8")
    (tmp_path / "huge.txt").write_text("Many words here. " * 200, encoding="utf-8")
    long_post = dict(GOOD, id="long", text="A sentence that goes on. " * 20)
    huge_line = dict(GOOD, id="huge-line", text="x " * 2000)
    (tmp_path / "wire.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in (GOOD, long_post, huge_line)), encoding="utf-8")
    live = "# Live\n\n## Short post\n\nA short post.\n\n## Long post\n\n" + "Word after word. " * 20
    (tmp_path / "live.md").write_text(live, encoding="utf-8")

    result = load_corpus(tmp_path, max_file_bytes=1000, max_post_chars=200)
    assert ids(result) == ["good", "good.txt", "live.md"]
    [live_article] = [a for a in result.articles if a.article_id == "live.md"]
    assert [p.headline for p in live_article.posts] == ["Short post"]
    problems = "\n".join(result.problems)
    for name in ("huge.txt:", "wire.jsonl: post 'long#lead'", "wire.jsonl:3:", "live.md: post"):
        assert name in problems, name
    assert "max_post_chars" in problems and "max_file_mb" in problems


def test_links_loops_fifos_and_devices_are_reported_not_read(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A fine article about the harbour.\n", encoding="utf-8")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(tmp_path / "fifo.txt")  # reading it would block forever
    result = load_corpus(tmp_path)
    assert ids(result) == ["good.txt"]
    problems = {p.split(":")[0]: p for p in result.problems}
    assert set(problems) == {"loop.txt", "zero.txt", "gone.txt", "fifo.txt"}
    assert "loop" in problems["loop.txt"] and "not a regular file" in problems["fifo.txt"]


def test_deeply_nested_front_matter_is_reported_not_parsed(tmp_path) -> None:
    from index.documents import load_corpus

    (tmp_path / "deep.md").write_text("---\n" + "[" * 2000 + "\n---\nBody text here.\n", encoding="utf-8")
    (tmp_path / "fine.md").write_text("---\ntitle: Fine\n---\nA fine body.\n", encoding="utf-8")
    result = load_corpus(tmp_path)
    assert [a.title for a in result.articles] == ["Fine"]
    assert any("deep.md" in p and "nested" in p for p in result.problems)
