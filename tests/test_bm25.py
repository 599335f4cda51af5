"""The keyword side: BM25 over Chroma's chunks, hits fetched back by id, limited by as-of."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from llama_index.core.schema import QueryBundle

from index import build_index
from index.bm25 import BM25ChunkRetriever, ChunkCorpus
from index.store import Store
from index.terms import Rarity, terms

from .conftest import make_config, write_jsonl

ARTICLES = [
    {"id": "grain-1", "title": "Grain deal talks", "date": "2023-07-01",
     "text": "Turkey hosted talks on the Black Sea grain deal. Ukraine and Russia sent delegations."},
    {"id": "grain-2", "title": "Grain deal collapses", "date": "2023-07-18",
     "text": "Russia quit the Black Sea grain deal, and wheat prices rose sharply in Chicago."},
    {"id": "storm-1", "title": "Storm hits coast", "date": "2023-08-02",
     "text": "Hurricane winds cut power to 40,000 homes along the Gulf coast."},
]
JULY_10 = 1688990400  # 2023-07-10 12:00 UTC


@pytest.fixture
def store(tmp_path: Path) -> Store:
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", ARTICLES))
    build_index(config, progress=False)
    return Store.open(config.chroma)


def test_hits_come_back_whole_from_chroma(store: Store) -> None:
    corpus = ChunkCorpus.read(store)
    hits = BM25ChunkRetriever(corpus, 10).retrieve(QueryBundle("grain deal wheat prices"))
    assert [h.node.metadata["article_id"] for h in hits][:1] == ["grain-2"]
    assert {h.node.metadata["article_id"] for h in hits} == {"grain-1", "grain-2"}  # storm shares no word
    scores = [h.score for h in hits]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    stored = store.chunks().get(ids=[h.node.node_id for h in hits], include=["documents"])
    texts = dict(zip(stored["ids"], stored["documents"]))
    assert all(h.node.get_content() == texts[h.node.node_id] for h in hits)
    assert BM25ChunkRetriever(corpus, 10).retrieve(QueryBundle("zebra quokka")) == []


def test_as_of_leaves_out_what_was_published_later(store: Store) -> None:
    corpus = ChunkCorpus.read(store)
    hits = BM25ChunkRetriever(corpus, 10, as_of=JULY_10).retrieve(QueryBundle("grain deal Russia"))
    assert [h.node.metadata["article_id"] for h in hits] == ["grain-1"]


def test_term_counts_are_those_of_the_chunk_texts(store: Store) -> None:
    corpus = ChunkCorpus.read(store)
    nodes = BM25ChunkRetriever(corpus, 10).retrieve(QueryBundle("grain storm"))
    assert len(nodes) == len(corpus) == 3  # one chunk per article
    counted = Rarity.of(n.node.get_content() for n in nodes)
    read_off = Rarity(corpus.term_counts, len(corpus))
    assert counted.df["grain"] == 2
    assert read_off.df == dict(counted.df)
    assert read_off.unknown(terms("grain zebra")) == ["zebra"]


def test_a_chunk_deleted_after_loading_is_skipped(store: Store) -> None:
    corpus = ChunkCorpus.read(store)
    store.chunks().delete(where={"article_id": "grain-2"})
    hits = BM25ChunkRetriever(corpus, 10).retrieve(QueryBundle("grain deal wheat"))
    assert [h.node.metadata["article_id"] for h in hits] == ["grain-1"]


def test_the_keyword_index_is_saved_and_loaded_until_the_store_changes(tmp_path: Path, store: Store) -> None:
    cache = tmp_path / "keywords"
    built = ChunkCorpus.open(store, cache)
    (saved,) = cache.iterdir()
    loaded = ChunkCorpus.open(store, cache)
    assert isinstance(loaded.bm25.scores["data"], np.memmap)  # read from the saved files
    query = QueryBundle("grain deal wheat prices")
    ranked = [[(h.node.node_id, round(h.score, 5)) for h in BM25ChunkRetriever(c, 10).retrieve(query)]
              for c in (built, loaded)]
    assert ranked[0] == ranked[1] and ranked[0]
    assert loaded.term_counts == built.term_counts

    corpus = tmp_path / "corpus"
    wheat = {"id": "wheat-1", "title": "Wheat", "text": "Wheat futures fell on Friday."}
    (corpus / "more.jsonl").write_text(json.dumps(wheat) + "\n", encoding="utf-8")
    build_index(make_config(tmp_path, corpus), progress=False)
    fresh = ChunkCorpus.open(store, cache)
    assert len(fresh) == 4 and not isinstance(fresh.bm25.scores["data"], np.memmap)
    assert [p.name for p in cache.iterdir()] != [saved.name] and len(list(cache.iterdir())) == 1


def test_an_unreadable_keyword_index_is_rebuilt(tmp_path: Path, store: Store, caplog) -> None:
    cache = tmp_path / "keywords"
    ChunkCorpus.open(store, cache)
    (saved,) = cache.iterdir()
    (saved / "ids.json").write_text('["grain-1#lead/0"', encoding="utf-8")
    corpus = ChunkCorpus.open(store, cache)
    assert len(corpus) == 3 and "rebuilding" in caplog.text


def test_an_initialism_with_dots_is_found_by_the_word(tmp_path: Path) -> None:
    articles = [{"id": "fleet-1", "title": "Fleet", "date": "2023-07-01",
                 "text": "The U.S. fleet left the harbour on Monday."},
                {"id": "fleet-2", "title": "Fleet", "date": "2023-07-02",
                 "text": "The old fleet left the harbour on Monday."}]
    config = make_config(tmp_path, write_jsonl(tmp_path / "corpus", articles))
    build_index(config, progress=False)
    corpus = ChunkCorpus.read(Store.open(config.chroma))
    hits = BM25ChunkRetriever(corpus, 10).retrieve(QueryBundle("did the us fleet leave?"))
    assert [h.node.metadata["article_id"] for h in hits][:1] == ["fleet-1"]
    assert corpus.term_counts["us"] == 1
