"""The coverage engine: corpus -> Chroma -> short answers with numbered citations.

Public API (what front ends import): Engine, Answer, Citation, Stats, Config,
load_config, build_index, render_text, and the errors in index.errors.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .embedding import force_offline
from .errors import (
    ConfigError,
    CorpusError,
    CoverageError,
    IndexMissingError,
    ModelError,
    QuestionError,
    StoreUnavailableError,
)

force_offline()  # before anything imports transformers, chromadb or huggingface_hub

# Heavy modules (torch, llama-index) load on first use, so `stats` and `--help` start fast.
_LAZY = {
    "Engine": ".engine", "Stats": ".store", "Answer": ".schema", "Citation": ".schema",
    "Config": ".config", "TelegramConfig": ".config", "load_config": ".config", "build_index": ".build",
    "BuildReport": ".build", "render_text": ".render",
}

if TYPE_CHECKING:
    from .build import BuildReport, build_index
    from .config import Config, TelegramConfig, load_config
    from .engine import Engine
    from .render import render_text
    from .schema import Answer, Citation
    from .store import Stats


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'index' has no attribute {name!r}")


__all__ = [
    "Answer", "BuildReport", "Citation", "Config", "Engine", "Stats", "TelegramConfig", "build_index",
    "load_config", "render_text", "ConfigError", "CorpusError", "CoverageError",
    "IndexMissingError", "ModelError", "QuestionError", "StoreUnavailableError",
]
