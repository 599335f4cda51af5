"""Bad input to the engine: a clear message, nothing lost."""

from __future__ import annotations

import pytest

from index import Engine, IndexMissingError, QuestionError, build_index
from index.store import Store

from .conftest import make_config


def test_empty_and_huge_questions_are_refused_with_a_message(seed_engine) -> None:
    with pytest.raises(QuestionError, match="empty"):
        seed_engine.answer("   \n ")
    with pytest.raises(QuestionError, match="under 2000"):
        seed_engine.answer("why " * 1000)


def test_missing_index_says_how_to_build_it(tmp_path, seed_corpus) -> None:
    config = make_config(tmp_path, seed_corpus)
    with pytest.raises(IndexMissingError, match="python -m index build"):
        Engine(config)


def test_reload_picks_up_a_rebuilt_index(tmp_path, seed_corpus) -> None:
    config = make_config(tmp_path, seed_corpus)
    build_index(config, progress=False)
    engine = Engine(config)
    assert engine.answer("When did the harbour reopen?").abstained
    (seed_corpus / "harbour.txt").write_text(
        "Harbour reopens\n\nThe harbour in Aktau reopened on Tuesday after storm repairs.\n",
        encoding="utf-8")
    build_index(config, progress=False)
    engine.reload()
    answer = engine.answer("When did the harbour reopen?")
    assert "Tuesday" in answer.text
    stats = engine.stats()
    assert (stats.articles, stats.posts) == (2, 12)
    assert stats.chunks == Store.open(config.chroma).count_chunks()
