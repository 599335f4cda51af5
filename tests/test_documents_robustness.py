"""The loader and one bad record: reported and skipped, or its bad field left unknown; the rest loads."""

from __future__ import annotations

import json
import logging
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
