"""Builds with bad records and failures: the rest is indexed, and live data is never lost."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index import Engine, build_index
from index.cli import main as cli_main
from index.config import config_from_dict
from index.store import Store

from .conftest import make_config, write_jsonl

HARBOUR = {"id": "harbour", "title": "Harbour reopens", "published": "2024-03-01",
           "text": "The harbour at Eastmouth reopened on Tuesday after three weeks of storm repairs."}


def test_out_of_range_dates_are_indexed_undated_and_stats_ask_and_bm25_work(
        tmp_path: Path, capsys) -> None:
    rows = [HARBOUR,
            {"id": "far", "title": "Bridge closes", "published": 1e30,
             "text": "The old bridge at Lowfield closed for good on Friday."},
            {"id": "ms", "title": "Ferry resumes", "published": 1709251200000,
             "text": "The ferry to Harbury resumed sailing on Monday morning."},
            {"id": "y9999", "title": "Library opens", "published": "9999-12-31",
             "text": "The new library in Lowfield opened its doors to readers."}]
    corpus = write_jsonl(tmp_path / "corpus", rows)
    report = build_index(make_config(tmp_path, corpus), progress=False)
    assert report.added == 4 and report.problems == []

    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[corpus]\npath = "{corpus}"\n[chroma]\npath = "{tmp_path / "chroma"}"\n',
                           encoding="utf-8")
    assert cli_main(["stats", "--json", "--config", str(config_file)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["documents"] == 4 and stats["newest_update"].startswith("2024-03-01")

    engine = Engine(make_config(tmp_path, corpus))  # loads the BM25 side
    answer = engine.answer("When did the old bridge at Lowfield close?")
    assert not answer.abstained
    bridge = [c for c in answer.citations if c.post_id.startswith("far#")]
    assert bridge and bridge[0].published is None and bridge[0].to_json()["published"] is None


def test_bad_files_and_posts_over_the_cap_are_reported_by_the_build(tmp_path: Path) -> None:
    corpus = write_jsonl(tmp_path / "corpus", [
        HARBOUR, {"id": "long", "title": "Long", "text": "Word after word. " * 30}])
    os.mkfifo(corpus / "fifo.txt")
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_text("Cafe owners protest.\n", encoding="utf-8")
    config = config_from_dict({"corpus": {"path": str(corpus), "max_post_chars": 200},
                               "chroma": {"path": str(tmp_path / "chroma")}}, base_dir=tmp_path)
    report = build_index(config, progress=False)
    assert report.added == 1 and report.chunks_total > 0
    summary = report.summary()
    summary.encode("utf-8")  # printable: the bad file name is shown with U+FFFD
    for name in ("fifo.txt", "caf\ufffd.txt", "'long#lead'", "max_post_chars = 200"):
        assert name in summary, name


def test_an_overlong_title_or_headline_is_clipped_in_the_chunks_not_fatal(tmp_path: Path) -> None:
    long_title = " ".join(f"word{i}" for i in range(300))
    page = "# Live\n\n## " + " ".join(["Headline"] * 250) + "\n\nThe first post.\n\n## Second\n\nMore.\n"
    corpus = write_jsonl(tmp_path / "corpus", [
        HARBOUR, {"id": "long", "title": long_title, "text": "The tram line to Harbury opened."}])
    (corpus / "live.md").write_text(page, encoding="utf-8")
    config = make_config(tmp_path, corpus)
    report = build_index(config, progress=False)
    assert (report.added, report.problems) == (3, [])
    chunks = {meta["post_id"]: meta for _, metas, _ in Store.open(config.chroma).iter_chunks()
              for meta in metas}
    title = chunks["long#lead"]["title"]
    assert title.startswith("word0 word1") and title.endswith("…") and len(title) < len(long_title) / 3
    assert chunks["harbour#lead"]["title"] == "Harbour reopens"  # a normal title is left whole
    answer = Engine(config).answer("When did the tram line to Harbury open?")
    assert any(c.post_id == "long#lead" for c in answer.citations)


EDITED = dict(HARBOUR, text=HARBOUR["text"].replace("Tuesday", "Wednesday"))
FERRY = {"id": "ferry", "title": "Ferry resumes", "published": "2024-03-02",
         "text": "The ferry to Harbury resumed sailing on Monday morning after the storm."}
QUESTION = "When did the harbour at Eastmouth reopen?"


def chunk_texts(config) -> dict[str, str]:
    """post id -> the text of its one chunk; a post with two generations of chunks fails."""
    out: dict[str, str] = {}
    for _, metas, docs in Store.open(config.chroma).iter_chunks():
        for meta, text in zip(metas, docs):
            assert meta["post_id"] not in out, f"two chunks for {meta['post_id']}"
            out[meta["post_id"]] = text
    return out


def test_a_build_failing_mid_round_keeps_the_live_chunks_and_the_next_one_succeeds(
        tmp_path: Path, monkeypatch) -> None:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    corpus = write_jsonl(tmp_path / "corpus", [HARBOUR])
    config = make_config(tmp_path, corpus)
    build_index(config, progress=False)
    before = chunk_texts(config)
    write_jsonl(corpus, [EDITED, FERRY])

    def disk_full(self, nodes, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ChromaVectorStore, "add", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(config, progress=False)
    assert chunk_texts(config) == before
    assert "Tuesday" in Engine(config).answer(QUESTION).text
    monkeypatch.undo()

    report = build_index(config, progress=False)
    assert (report.updated, report.added, report.problems) == (1, 1, [])
    after = chunk_texts(config)
    assert set(after) == {"harbour#lead", "ferry#lead"} and "Wednesday" in after["harbour#lead"]
    assert build_index(config, progress=False).chunks_embedded == 0


def test_answers_keep_coming_from_the_old_content_during_a_rebuild(tmp_path: Path, monkeypatch) -> None:
    from llama_index.vector_stores.chroma import ChromaVectorStore

    corpus = write_jsonl(tmp_path / "corpus", [HARBOUR, FERRY])
    config = make_config(tmp_path, corpus)
    build_index(config, progress=False)
    engine = Engine(config)
    write_jsonl(corpus, [EDITED, FERRY])
    real_add, during = ChromaVectorStore.add, []

    def add_while_asking(self, nodes, **kwargs):
        during.append(engine.answer(QUESTION))  # the moment the old build had deleted
        return real_add(self, nodes, **kwargs)

    monkeypatch.setattr(ChromaVectorStore, "add", add_while_asking)
    build_index(config, progress=False)
    assert during and all("Tuesday" in a.text and not a.abstained for a in during)
    assert not engine.answer(QUESTION).abstained  # built, not yet reloaded: still no gap
    engine.reload()
    assert "Wednesday" in engine.answer(QUESTION).text


def test_a_generation_left_by_an_interrupted_round_is_swept_by_the_next_build(
        tmp_path: Path, monkeypatch) -> None:
    corpus = write_jsonl(tmp_path / "corpus", [HARBOUR])
    config = make_config(tmp_path, corpus)
    build_index(config, progress=False)
    write_jsonl(corpus, [EDITED])

    def killed(store: Store, entries: list) -> None:
        raise KeyboardInterrupt  # after the new chunks were written, before the ledger knew

    monkeypatch.setattr(Store, "record", killed)
    with pytest.raises(KeyboardInterrupt):
        build_index(config, progress=False)
    monkeypatch.undo()
    assert Store.open(config.chroma).count_chunks() == 2  # both generations are live

    write_jsonl(corpus, [HARBOUR])  # the edit is undone: nothing to embed, one stray generation
    report = build_index(config, progress=False)
    assert (report.chunks_embedded, report.unchanged, report.chunks_total) == (0, 1, 1)
    assert "Tuesday" in chunk_texts(config)["harbour#lead"]


def test_a_store_built_before_dates_were_checked_is_healed_by_the_next_build(
        tmp_path: Path, monkeypatch) -> None:
    from index import documents

    far = {"id": "far", "title": "Bridge closes", "published": "9999-12-31",
           "text": "The old bridge at Lowfield closed for good on Friday."}
    corpus = write_jsonl(tmp_path / "corpus", [HARBOUR, far])
    config = make_config(tmp_path, corpus)
    monkeypatch.setattr(documents, "LOADER_VERSION", "1")  # as the loader before the range check
    monkeypatch.setattr(documents, "_published", lambda value, _: documents.parse_date(value))
    build_index(config, progress=False)
    assert Store.open(config.chroma).read_ledger()["far"].published == 253402214400
    monkeypatch.undo()

    report = build_index(config, progress=False)  # the file is unchanged on disk, yet read again
    # Only page metadata changed: the chunk is rewritten in place, not embedded again.
    assert (report.updated, report.unchanged, report.chunks_embedded) == (1, 1, 0)
    ledger = Store.open(config.chroma).read_ledger()
    assert ledger["far"].published is None and ledger["harbour"].published is not None
    [meta] = Store.open(config.chroma).chunks().get(where={"article_id": "far"})["metadatas"]
    assert meta["dated"] == 0 and "published" not in meta
