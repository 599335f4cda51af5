"""Loopback helpers: they live in bench/loopback.py, since benchmarks never import tests."""

from bench.loopback import chroma_server, chroma_server_process, free_port

__all__ = ["chroma_server", "chroma_server_process", "free_port"]
