"""The same build and ask against a Chroma server (`chroma run`) on a loopback port."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import Engine, StoreUnavailableError, build_index
from index.store import Store

from .conftest import make_config, write_jsonl
from .loopback import chroma_server, free_port


@pytest.fixture
def server_port(tmp_path: Path):
    with chroma_server(tmp_path / "server-data") as port:
        yield port


def test_build_and_ask_through_a_chroma_server(tmp_path: Path, seed_corpus: Path, server_port: int) -> None:
    config = make_config(tmp_path, seed_corpus, chroma={"host": "127.0.0.1", "port": server_port})
    report = build_index(config, progress=False)
    assert report.chunks_embedded == report.chunks_total > 0
    assert not (tmp_path / "chroma").exists()  # nothing went to the embedded store
    assert build_index(config, progress=False).chunks_embedded == 0
    answer = Engine(config).answer("how many detained?")
    assert "more than 3,000" in answer.text


def test_dead_server_is_a_clear_error(tmp_path: Path, seed_corpus: Path) -> None:
    config = make_config(tmp_path, seed_corpus, chroma={"host": "127.0.0.1", "port": free_port()})
    with pytest.raises(StoreUnavailableError, match="127.0.0.1"):
        Store.open(config.chroma)


def test_many_short_records_are_written_within_the_servers_max_batch(
        tmp_path: Path, server_port: int, monkeypatch) -> None:
    """Rounds and writes stay under get_max_batch_size(); Chroma's client refuses a bigger batch."""
    from chromadb.api.fastapi import FastAPI

    monkeypatch.setattr(FastAPI, "get_max_batch_size", lambda self: 5)  # a server with a small bound
    rows = [{"id": f"s{i}", "title": f"Brief {i}", "text": f"Ferry {i} sailed on time."} for i in range(12)]
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", rows),
                         chroma={"host": "127.0.0.1", "port": server_port})
    report = build_index(config, progress=False)
    assert report.added == 12 and report.chunks_total == 12
    assert Store.open(config.chroma).stats().articles == 12
