"""Per-post incremental builds: a live page that gains, edits and loses posts."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from index import build_index
from index.store import Store

from .conftest import make_config

TOWNS = ["Aralsk", "Balkhash", "Kentau", "Lisakovsk", "Ridder", "Saran", "Shu", "Temirtau",
         "Zhanatas", "Arkalyk"]


def post(n: int, extra: str = "") -> tuple[str, str]:
    town = TOWNS[n % len(TOWNS)]
    return (f"Update {n}: water main repaired in {town}",
            f"Crews in {town} finished repair number {n} on the water main overnight.{extra}")


def write_page(path: Path, posts: list[tuple[str, str]], published: str = "2025-03-01") -> None:
    """A live page in Markdown, newest post first, like the pages feeds and scrapers give."""
    lines = ["---", "title: Water outages live", "source: Wire", f"published: {published}",
             "url: https://example.org/live", "---", ""]
    for headline, text in posts:
        lines += [f"## {headline}", "", text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def chunks(config) -> dict[str, dict]:
    """chunk id -> its flat metadata, with the node metadata LlamaIndex reads back beside it."""
    found = Store.open(config.chroma).chunks().get(include=["metadatas"])
    return {i: {**m, "node": metadata_dict_to_node(m).metadata}
            for i, m in zip(found["ids"], found["metadatas"])}


@pytest.fixture
def page(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return corpus / "live.md"


def test_a_post_added_to_a_100_post_page_embeds_only_that_post(tmp_path: Path, page: Path) -> None:
    posts = [post(n) for n in range(100, 0, -1)]
    write_page(page, posts)
    config = make_config(tmp_path, page.parent)
    first = build_index(config, progress=False)
    assert first.posts_embedded == 100
    before = chunks(config)

    write_page(page, [post(101), *posts])  # the newest post goes on top
    report = build_index(config, progress=False)
    assert (report.updated, report.posts_embedded, report.chunks_embedded) == (1, 1, 1)
    assert [p.headline for p in report.new_posts] == [post(101)[0]]
    after = chunks(config)
    assert set(after) - set(before) == {i for i in after if "update-101" in i}
    assert set(before) <= set(after)  # every old chunk kept, none re-embedded
    for chunk_id, meta in before.items():  # each moved one place down, flat and node alike
        assert after[chunk_id]["post_index"] == meta["post_index"] + 1
        assert after[chunk_id]["node"]["post_index"] == meta["post_index"] + 1
    assert build_index(config, progress=False).chunks_embedded == 0


def test_a_changed_post_is_reembedded_and_a_vanished_one_deleted(tmp_path: Path, page: Path) -> None:
    write_page(page, [post(3), post(2), post(1)])
    config = make_config(tmp_path, page.parent)
    build_index(config, progress=False)
    write_page(page, [post(3, " Water is back on."), post(1)])
    report = build_index(config, progress=False)
    assert (report.posts_embedded, report.new_posts) == (1, [])
    after = chunks(config)
    assert sorted(m["post_id"] for m in after.values()) == [
        "live.md#update-1-water-main-repaired-in-balkhash",
        "live.md#update-3-water-main-repaired-in-lisakovsk"]
    texts = Store.open(config.chroma).chunks().get(include=["documents"])["documents"]
    assert any("Water is back on." in t for t in texts) and len(texts) == 2
    assert sum(e.chunks for e in Store.open(config.chroma).read_ledger().values()) == 2


def test_page_metadata_stays_the_same_on_every_post(tmp_path: Path, page: Path) -> None:
    write_page(page, [post(2), post(1)], published="2025-03-01")
    config = make_config(tmp_path, page.parent)
    build_index(config, progress=False)
    write_page(page, [post(3), post(2), post(1)], published="2025-03-02T10:00:00Z")
    build_index(config, progress=False)
    metas = list(chunks(config).values())
    assert len(metas) == 3
    for meta in metas:
        assert meta["published"] == meta["node"]["published"] == 1740909600
        assert meta["url"] == meta["node"]["url"] == "https://example.org/live"


def test_an_update_interrupted_anywhere_is_finished_by_the_next_build(
        tmp_path: Path, page: Path, monkeypatch) -> None:
    """Killed after the new post's chunks were written, after the metadata rewrite, or
    after the ledger: the next build ends where an uninterrupted one does."""
    write_page(page, [post(2), post(1)])
    clean = make_config(tmp_path / "clean", page.parent)
    build_index(clean, progress=False)
    write_page(page, [post(3), post(2, " Pressure is low."), post(1)])
    build_index(clean, progress=False)
    expected = {i: (m["post_index"], m["post_hash"]) for i, m in chunks(clean).items()}

    for step in ("rewrite_metadata", "record", "delete_chunks"):
        write_page(page, [post(2), post(1)])
        config = make_config(tmp_path / step, page.parent)
        build_index(config, progress=False)
        write_page(page, [post(3), post(2, " Pressure is low."), post(1)])

        def killed(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(Store, step, killed)
        with pytest.raises(KeyboardInterrupt):
            build_index(config, progress=False)
        monkeypatch.undo()
        report = build_index(config, progress=False)
        assert {i: (m["post_index"], m["post_hash"]) for i, m in chunks(config).items()} == expected
        assert report.chunks_total == 3, step


def test_a_round_never_writes_more_chunks_than_the_store_takes(
        tmp_path: Path, page: Path, monkeypatch) -> None:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    write_page(page, [post(n) for n in range(12, 0, -1)])
    config = make_config(tmp_path, page.parent)
    store = Store.open(config.chroma)
    store._max_batch = 5  # as if Chroma's get_max_batch_size() said 5
    real_add, sizes = ChromaVectorStore.add, []

    def add(self, nodes, **kwargs):
        sizes.append(len(nodes))
        return real_add(self, nodes, **kwargs)

    monkeypatch.setattr(ChromaVectorStore, "add", add)
    report = build_index(config, progress=False, store=store)
    assert report.chunks_total == 12 and sizes and max(sizes) <= 5


def test_a_page_of_one_post_that_gains_a_second_reports_only_the_second_as_new(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    config = make_config(tmp_path, corpus)
    write_page(corpus / "live.md", [post(1)])
    assert [p.post_id for p in build_index(config, progress=False).new_posts] == ["live.md#lead"]
    # With a second headline the page splits in two posts: the first gets its own id, not news.
    write_page(corpus / "live.md", [post(2), post(1)])
    report = build_index(config, progress=False)
    assert [p.headline for p in report.new_posts] == [post(2)[0]]
