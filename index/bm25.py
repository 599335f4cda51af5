"""The keyword side: a BM25 index of every chunk in Chroma that keeps terms and ids, not texts."""

from __future__ import annotations

import logging
from array import array

import bm25s
import numpy as np
import Stemmer
from bm25s.tokenization import Tokenizer
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from .errors import IndexMissingError
from .store import Store

# bm25s sets its own logger to DEBUG on import, which would print on every engine start.
logging.getLogger("bm25s").setLevel(logging.WARNING)

# The tokenization of LlamaIndex's BM25Retriever: bm25s's English stopwords, Snowball stems.
STOPWORDS = "en"
_stemmer = Stemmer.Stemmer("english")


class ChunkCorpus:
    """Every indexed chunk's id, publish time and BM25 terms, read from Chroma once.

    LlamaIndex's BM25Retriever keeps every node (text, metadata) in memory, which at 100k+
    chunks outweighs the rest of the engine; this keeps bm25s's sparse scores, the ids and
    the times, and a retrieved chunk's text is fetched back from Chroma by id.
    """

    def __init__(self, store: Store) -> None:
        self.collection = store.chunks()
        tokenizer = Tokenizer(stopwords=STOPWORDS, stemmer=_stemmer)
        ids: list[str] = []
        published: list[int] = []
        tokens: list[array] = []  # 4 bytes a token, where lists of ints take ~36
        for page_ids, metas, docs in store.iter_chunks():
            ids.extend(page_ids)
            published.extend(m.get("published", -1) if m.get("dated") else -1 for m in metas)
            texts = [metadata_dict_to_node(m, text=d).get_content(metadata_mode=MetadataMode.EMBED)
                     for m, d in zip(metas, docs)]
            page = tokenizer.tokenize(texts, update_vocab=True, return_as="ids", show_progress=False)
            tokens.extend(array("i", t) for t in page)
        if not ids:
            raise IndexMissingError("the index is empty: run `python -m index build`")
        self.ids = ids
        self.published = np.array(published, dtype=np.int64)
        self.bm25 = bm25s.BM25()
        self.bm25.index((tokens, tokenizer.get_vocab_dict()), show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def document_frequencies(self) -> dict[str, int]:
        """How many chunks hold each term: bm25s stores one score per (term, chunk) it holds."""
        per_term = np.diff(self.bm25.scores["indptr"])
        return {term: int(per_term[i]) for term, i in self.bm25.vocab_dict.items() if term}

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
        query = bm25s.tokenize(query_bundle.query_str, stopwords=STOPWORDS, stemmer=_stemmer,
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
