"""A rebuild reads only files whose size or modification time changed since the ledger saw them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index import build, build_index
from index.documents import file_stamp
from index.store import Store

from .conftest import SEED, make_config


def test_a_file_unchanged_on_disk_is_not_read_again(seed_config, seed_corpus: Path) -> None:
    build_index(seed_config, progress=False)
    path = seed_corpus / SEED.name
    before = path.stat()
    # Other bytes, same size and time: only a build that reads the file could notice.
    path.write_bytes(path.read_bytes().replace(b"Tokayev", b"Tokayeb"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    report = build_index(seed_config, progress=False)
    assert (report.articles, report.unchanged, report.chunks_embedded, report.removed) == (1, 1, 0, 0)

    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    report = build_index(seed_config, progress=False)
    assert report.updated == 1 and report.chunks_embedded > 0


def test_a_touched_file_is_read_once_then_trusted_again(seed_config, seed_corpus: Path) -> None:
    build_index(seed_config, progress=False)
    path = seed_corpus / SEED.name
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    report = build_index(seed_config, progress=False)
    assert (report.unchanged, report.chunks_embedded) == (1, 0)
    (entry,) = Store.open(seed_config.chroma).read_ledger().values()
    assert entry.stamp == file_stamp(path)


def test_a_file_with_a_problem_is_read_and_reported_every_time(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = {"id": "a1", "title": "Harbour reopens", "text": "The harbour reopened on Tuesday after repairs."}
    (corpus / "wire.jsonl").write_text(json.dumps(good) + "\n{not json\n", encoding="utf-8")
    config = make_config(tmp_path, corpus)
    for _ in range(2):
        report = build_index(config, progress=False)
        assert report.articles == 1 and len(report.problems) == 1
        assert report.problems[0].startswith("wire.jsonl:")


def test_changing_the_chunking_reads_and_reembeds_everything(tmp_path: Path, seed_corpus: Path) -> None:
    build_index(make_config(tmp_path, seed_corpus), progress=False)
    report = build_index(make_config(tmp_path, seed_corpus, chunking={"chunk_size": 128}), progress=False)
    assert report.updated == 1 and report.chunks_embedded == report.chunks_total > 0


def test_a_build_interrupted_halfway_through_a_file_reads_it_again(tmp_path: Path, monkeypatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    towns = ["Harbury", "Eastmouth", "Lowfield"]
    (corpus / "wire.jsonl").write_text("".join(
        json.dumps({"id": f"t{i}", "title": f"{town} harbour reopens",
                    "text": f"The harbour at {town} reopened on Tuesday after repairs."}) + "\n"
        for i, town in enumerate(towns)), encoding="utf-8")
    config = make_config(tmp_path, corpus)
    monkeypatch.setattr(build, "BATCH_CHARS", 1)  # one article per embedding round
    record, rounds = Store.record, []

    def interrupted(store: Store, entries: list) -> None:
        if rounds:  # Ctrl-C while the second round is being written
            raise KeyboardInterrupt
        rounds.append(entries)
        record(store, entries)

    monkeypatch.setattr(Store, "record", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_index(config, progress=False)
    monkeypatch.undo()
    report = build_index(config, progress=False)
    assert (report.articles, report.unchanged, report.added) == (3, 1, 2)
    assert Store.open(config.chroma).stats().articles == 3
