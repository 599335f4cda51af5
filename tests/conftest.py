"""Shared fixtures: small corpora in tmp folders, real model, real Chroma."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from index.config import Config, config_from_dict

from .standin import BotApiStandIn

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SEED = ROOT / "corpus" / "kazakhstan-live-updates.txt"


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def bbc_articles(n: int) -> list[dict]:
    """The first n BBC articles from ../shared (third-party text: read, never copied in)."""
    out = []
    with gzip.open(SHARED / "data" / "news" / "bbc_news.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            out.append(json.loads(line))
            if len(out) == n:
                break
    return out


def make_config(base: Path, corpus: Path, **sections: dict) -> Config:
    raw = {"corpus": {"path": str(corpus)}, "chroma": {"path": str(base / "chroma")}}
    for name, values in sections.items():
        raw.setdefault(name, {}).update(values)
    return config_from_dict(raw, base_dir=base)


def write_jsonl(folder: Path, articles: list[dict], name: str = "wire.jsonl") -> Path:
    """A corpus folder with the given articles as one JSON-lines file; returns the folder."""
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    return folder


def jsonl_engine(base: Path, articles: list[dict], **sections: dict):
    """An engine over the given articles, built under `base`."""
    from index import Engine, build_index

    config = make_config(base, write_jsonl(base / "corpus", articles), **sections)
    build_index(config, progress=False)
    return Engine(config)


@pytest.fixture
async def standin():
    """The Telegram Bot API stand-in on 127.0.0.1 (tests that need another stand-in shadow it)."""
    server = BotApiStandIn()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus


@pytest.fixture
def seed_config(tmp_path: Path, seed_corpus: Path) -> Config:
    return make_config(tmp_path, seed_corpus)


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory: pytest.TempPathFactory):
    """One built seed index and engine for the read-only tests."""
    from index import Engine, build_index

    base = tmp_path_factory.mktemp("seed")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    config = make_config(base, corpus)
    build_index(config, progress=False)
    return Engine(config)
