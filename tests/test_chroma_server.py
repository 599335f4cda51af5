"""The same build and ask against a Chroma server (`chroma run`) on a loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index import Engine, StoreUnavailableError, build_index
from index.store import Store

from .conftest import make_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI ships with the chromadb package"
    port = free_port()
    proc = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "server-data"),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start listening within 60 s")
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_build_and_ask_through_a_chroma_server(tmp_path: Path, seed_corpus: Path, chroma_server: int) -> None:
    config = make_config(tmp_path, seed_corpus, chroma={"host": "127.0.0.1", "port": chroma_server})
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
