"""The keyword side: a BM25 index of every chunk in Chroma that keeps terms and ids, not texts."""

from __future__ import annotations

import json
import logging
import os
import shutil
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from .errors import IndexMissingError
from .store import Store
from .terms import terms, undotted

# bm25s sets its own logger to DEBUG on import, which would print on every engine start.
logging.getLogger("bm25s").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

# The tokenization of LlamaIndex's BM25Retriever: bm25s's English stopwords, Snowball stems.
STOPWORDS = "en"
_stemmer = Stemmer.Stemmer("english")


class ChunkCorpus:
    """Every indexed chunk's id, publish time and BM25 terms.

    LlamaIndex's BM25Retriever keeps every node (text, metadata) in memory, which at 100k+
    chunks outweighs the rest of the engine; this keeps bm25s's sparse scores, the ids and
    the times, and a retrieved chunk's text is fetched back from Chroma by id. Reading every
    chunk back from Chroma takes about a minute at 123k chunks, so the result is saved, keyed
    by what the store holds, and the next start loads it (memory-mapped) instead.
    """

    def __init__(self, collection: Any, ids: list[str], published: np.ndarray, bm25: bm25s.BM25,
                 term_counts: dict[str, int]) -> None:
        self.collection = collection
        self.ids = ids
        self.published = published
        self.bm25 = bm25
        self.term_counts = term_counts  # stemmed content word -> chunks whose text holds it

    @staticmethod
    def saved_path(store: Store, cache: Path) -> Path:
        """Where the BM25 side of the store as it is now is saved: one folder per generation."""
        return cache / f"{store.name}-{store.fingerprint()}"

    @classmethod
    def open(cls, store: Store, cache: Path) -> ChunkCorpus:
        """Loaded from the cache when it matches the store; else read from Chroma and saved."""
        saved = cls.saved_path(store, cache)
        if saved.is_dir():
            try:
                return cls.load(saved, store.chunks())
            except (OSError, ValueError, KeyError) as exc:
                log.warning("keyword index at %s unreadable (%s): rebuilding it", saved, exc)
        corpus = cls.read(store)
        corpus.save(saved)
        return corpus

    @classmethod
    def read(cls, store: Store) -> ChunkCorpus:
        """Every chunk read back from Chroma, page by page, and indexed."""
        tokenizer = Tokenizer(stopwords=STOPWORDS, stemmer=_stemmer)
        ids: list[str] = []
        published: list[int] = []
        tokens: list[array] = []  # 4 bytes a token, where lists of ints take ~36
        # Counted over the chunk text alone, with the answer's own notion of a word: the
        # confidence model was calibrated on exactly these counts.
        term_counts: Counter[str] = Counter()
        for page_ids, metas, docs in store.iter_chunks():
            ids.extend(page_ids)
            for text in docs:
                term_counts.update(set(terms(text)))
            published.extend(m.get("published", -1) if m.get("dated") else -1 for m in metas)
            texts = [undotted(metadata_dict_to_node(m, text=d).get_content(metadata_mode=MetadataMode.EMBED))
                     for m, d in zip(metas, docs)]
            page = tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False)
            tokens.extend(array("i", t) for t in page)
        if not ids:
            raise IndexMissingError("the index is empty: run `python -m index build`")
        bm25 = bm25s.BM25()
        bm25.index((tokens, tokenizer.get_vocab_dict()), show_progress=False)
        return cls(store.chunks(), ids, np.array(published, dtype=np.int64), bm25, dict(term_counts))

    @classmethod
    def load(cls, path: Path, collection: Any) -> ChunkCorpus:
        ids = json.loads((path / "ids.json").read_text(encoding="utf-8"))
        published = np.load(path / "published.npy")
        bm25 = bm25s.BM25.load(path, mmap=True, show_progress=False)
        term_counts = json.loads((path / "terms.json").read_text(encoding="utf-8"))
        if not len(ids) == len(published) == int(bm25.scores["num_docs"]):
            raise ValueError("ids, times and scores disagree")
        return cls(collection, ids, published, bm25, term_counts)

    def save(self, path: Path) -> None:
        """Written beside, then renamed into place; older generations of the same store go."""
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        try:
            tmp.mkdir(parents=True, exist_ok=True)
            self.bm25.save(tmp, show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            (tmp / "terms.json").write_text(json.dumps(self.term_counts), encoding="utf-8")
            np.save(tmp / "published.npy", self.published)
            if path.exists():  # another process saved the same generation meanwhile
                shutil.rmtree(tmp)
            else:
                tmp.rename(path)
            store_name = path.name.rsplit("-", 1)[0]
            for old in path.parent.glob(f"{store_name}-*"):
                if old != path and old.name.rsplit("-", 1)[0] == store_name:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError as exc:  # a read-only disk costs the next start time, nothing else
            log.warning("cannot save the keyword index to %s: %s", path, exc)
            shutil.rmtree(tmp, ignore_errors=True)

    def __len__(self) -> int:
        return len(self.ids)

    def mask(self, as_of: int | None) -> np.ndarray | None:
        """1 for chunks published by as_of (or undated), 0 for later ones; None for no limit."""
        if as_of is None:
            return None
        return ((self.published <= as_of) | (self.published < 0)).astype(np.float32)

class BM25ChunkRetriever(BaseRetriever):
    """Top-k chunks by BM25 with a positive score, limited to what was published by as_of."""

    def __init__(self, corpus: ChunkCorpus, similarity_top_k: int, as_of: int | None = None) -> None:
        super().__init__()
        self._corpus = corpus
        self._top_k = min(similarity_top_k, len(corpus))
        self._mask = corpus.mask(as_of)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = bm25s.tokenize(undotted(query_bundle.query_str), stopwords=STOPWORDS, stemmer=_stemmer,
                               return_ids=False, show_progress=False)
        indexes, scores = self._corpus.bm25.retrieve(
            query, k=self._top_k, weight_mask=self._mask, show_progress=False)
        # bm25s pads k with chunks that share no word with the query (or are masked out).
        hits = [(int(i), float(s)) for i, s in zip(indexes[0], scores[0]) if s > 0.0]
        if not hits:
            return []
        ids = [self._corpus.ids[i] for i, _ in hits]
        found = self._corpus.collection.get(ids=ids, include=["metadatas", "documents"])
        nodes = {i: metadata_dict_to_node(m, text=d)
                 for i, m, d in zip(found["ids"], found["metadatas"], found["documents"])}
        # A chunk deleted since the engine loaded (a rebuild in progress) is simply skipped.
        return [NodeWithScore(node=nodes[cid], score=s) for cid, (_, s) in zip(ids, hits) if cid in nodes]
