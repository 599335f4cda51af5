"""Loopback helpers shared by tests and benchmarks: a free port, and `chroma run` on one."""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def chroma_server(path: Path, timeout: float = 60.0) -> Iterator[int]:
    """A Chroma server (the CLI that ships with chromadb) on 127.0.0.1: its port, once it listens."""
    with chroma_server_process(path, timeout) as (port, _):
        yield port


@contextlib.contextmanager
def chroma_server_process(path: Path, timeout: float = 60.0,
                          port: int | None = None) -> Iterator[tuple[int, subprocess.Popen]]:
    """chroma_server, with its process too: to kill or freeze it (or start it again on `port`)."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        raise RuntimeError("the chroma CLI ships with the chromadb package, but is not installed")
    port = port or free_port()
    proc = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(f"chroma run did not start listening within {timeout:.0f} s")
    try:
        yield port, proc
    finally:
        if proc.poll() is None:  # not already killed by the caller
            proc.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            proc.terminate()
            proc.wait(timeout=60)
