"""The same build and ask against a Chroma server (`chroma run`) on a loopback port."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from index import Engine, StoreUnavailableError, build_index
from index.store import Store

from .conftest import make_config, write_jsonl
from .loopback import chroma_server, chroma_server_process, free_port


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


def ask_in_thread(engine: Engine, question: str, limit: float) -> tuple[object, float]:
    """The answer or the exception, and the seconds it took; fails the test past limit."""
    outcome: list[object] = []

    def ask() -> None:
        try:
            outcome.append(engine.answer(question))
        except Exception as exc:  # noqa: BLE001 - what it raises is what is being tested
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(limit)
    assert outcome, f"no answer and no error within {limit:.0f} s"
    return outcome[0], time.monotonic() - started


def test_a_frozen_then_dead_server_is_a_clear_error_not_a_hang(tmp_path: Path, seed_corpus: Path) -> None:
    with chroma_server_process(tmp_path / "server-data") as (port, proc):
        config = make_config(tmp_path, seed_corpus,
                             chroma={"host": "127.0.0.1", "port": port, "timeout_s": 2})
        build_index(config, progress=False)
        engine = Engine(config)
        proc.send_signal(signal.SIGSTOP)
        frozen, seconds = ask_in_thread(engine, "how many detained?", limit=30)
        assert isinstance(frozen, StoreUnavailableError) and "did not answer in time" in str(frozen)
        assert seconds < 15
        proc.send_signal(signal.SIGCONT)
        assert "more than 3,000" in engine.answer("how many detained?").text  # it recovers
    dead, _ = ask_in_thread(engine, "how many detained?", limit=30)
    assert isinstance(dead, StoreUnavailableError) and f"127.0.0.1:{port}" in str(dead)
