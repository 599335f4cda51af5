"""Incremental builds against a real embedded Chroma and the real model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import build_index
from index.store import Store

from .conftest import ROOT, bbc_articles, make_config


def snapshot(config) -> dict[str, tuple[str, str, str]]:
    """Every chunk as id -> (text, post id, post hash): what a build is judged by."""
    store = Store.open(config.chroma)
    out = {}
    for ids, metas, docs in store.iter_chunks():
        for chunk_id, meta, text in zip(ids, metas, docs):
            out[chunk_id] = (text, meta["post_id"], meta["post_hash"])
    return out


def write_bbc(corpus: Path, n: int, name: str = "bbc.jsonl") -> list[dict]:
    rows = bbc_articles(n)
    corpus.mkdir(exist_ok=True)
    (corpus / name).write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return rows


def test_second_build_embeds_nothing_and_changes_nothing(seed_config) -> None:
    first = build_index(seed_config, progress=False)
    assert first.added == 1 and first.chunks_embedded > 0
    before = snapshot(seed_config)
    second = build_index(seed_config, progress=False)
    assert (second.chunks_embedded, second.added, second.updated, second.removed) == (0, 0, 0, 0)
    assert second.unchanged == 1
    assert snapshot(seed_config) == before


def test_edit_reembeds_only_that_file_and_removal_drops_its_chunks(tmp_path: Path, seed_corpus: Path) -> None:
    extra = seed_corpus / "harbour.txt"
    extra.write_text("Harbour reopens\n\nThe harbour reopened on Tuesday after storm repairs.\n",
                     encoding="utf-8")
    config = make_config(tmp_path, seed_corpus)
    build_index(config, progress=False)
    before = snapshot(config)
    seed_chunks = {k: v for k, v in before.items() if k.startswith("kazakhstan")}

    extra.write_text("Harbour reopens\n\nThe harbour reopened on Wednesday after storm repairs "
                     "that took three weeks.\n", encoding="utf-8")
    report = build_index(config, progress=False)
    assert (report.updated, report.added, report.unchanged) == (1, 0, 1)
    assert report.chunks_embedded == 1
    after = snapshot(config)
    assert {k: v for k, v in after.items() if k.startswith("kazakhstan")} == seed_chunks
    [lead] = [text for text, post_id, _ in after.values() if post_id == "harbour.txt#lead"]
    assert "Wednesday" in lead  # the new generation alone: the old one is gone

    extra.unlink()
    report = build_index(config, progress=False)
    assert report.removed == 1 and report.chunks_embedded == 0
    assert snapshot(config) == seed_chunks
    assert "harbour.txt" not in Store.open(config.chroma).read_ledger()


def test_interrupted_build_is_completed_without_duplicates(tmp_path: Path, monkeypatch) -> None:
    """A crash after some chunks were written but before the ledger knew of them."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    write_bbc(tmp_path / "corpus", 60)
    clean = make_config(tmp_path / "clean", tmp_path / "corpus")
    build_index(clean, progress=False)
    expected = snapshot(clean)

    broken = make_config(tmp_path / "broken", tmp_path / "corpus")
    real_add = ChromaVectorStore.add

    def add_half_then_die(self, nodes, **kwargs):
        real_add(self, nodes[: len(nodes) // 2], **kwargs)
        raise KeyboardInterrupt  # as if killed mid-write

    monkeypatch.setattr(ChromaVectorStore, "add", add_half_then_die)
    with pytest.raises(KeyboardInterrupt):
        build_index(broken, progress=False)
    partial = snapshot(broken)
    assert 0 < len(partial) < len(expected)
    monkeypatch.setattr(ChromaVectorStore, "add", real_add)

    report = build_index(broken, progress=False)
    assert report.added == 60
    assert snapshot(broken) == expected
    assert build_index(broken, progress=False).chunks_embedded == 0


def test_killed_build_process_then_rerun_equals_clean_build(tmp_path: Path) -> None:
    write_bbc(tmp_path / "corpus", 150)
    config_file = tmp_path / "config.toml"
    config_file.write_text('[corpus]\npath = "corpus"\n[chroma]\npath = "killed"\n', encoding="utf-8")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "index", "build", "--config", str(config_file)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until embedding has visibly started, then kill without warning.
    deadline = time.monotonic() + 120
    seen = b""
    while b"embedding:" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.read1(4096)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert b"embedding:" in seen

    rerun = subprocess.run(
        [sys.executable, "-m", "index", "build", "--config", str(config_file), "--no-progress"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    killed = make_config(tmp_path, tmp_path / "corpus", chroma={"path": str(tmp_path / "killed")})
    clean = make_config(tmp_path / "clean", tmp_path / "corpus")
    build_index(clean, progress=False)
    assert snapshot(killed) == snapshot(clean)


def test_broken_file_is_reported_and_the_rest_indexed(tmp_path: Path, seed_corpus: Path) -> None:
    (seed_corpus / "broken.txt").write_bytes(b"\xff\xfe\x00 not utf-8 \x81")
    report = build_index(make_config(tmp_path, seed_corpus), progress=False)
    assert report.articles == 1 and report.chunks_embedded > 0
    assert any(p.startswith("broken.txt:") for p in report.problems)
    assert "broken.txt" in report.summary()


def test_the_index_searches_as_broadly_as_configured_even_one_made_before(tmp_path: Path,
                                                                          seed_corpus: Path) -> None:
    narrow = make_config(tmp_path, seed_corpus, chroma={"search_ef": 100})
    build_index(narrow, progress=False)
    assert Store.open(narrow.chroma).chunks().configuration["hnsw"]["ef_search"] == 100
    broad = make_config(tmp_path, seed_corpus, chroma={"search_ef": 300})
    assert build_index(broad, progress=False).chunks_embedded == 0
    assert Store.open(broad.chroma).chunks().configuration["hnsw"]["ef_search"] == 300
