"""Hybrid retrieval: BM25 and Chroma vectors fused, filtered by an as-of time, weighted by recency."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.retrievers import BaseRetriever, QueryFusionRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters
from llama_index.vector_stores.chroma import ChromaVectorStore

from .bm25 import BM25ChunkRetriever, ChunkCorpus
from .config import RetrievalConfig
from .store import Store
from .terms import terms

DAY = 86400.0


@dataclass
class DatedQuery(QueryBundle):
    """A question with the time it is asked as of (None: now), which the recency prior reads;
    the parts the conversation's last answer quoted, which the picker does not repeat; and for
    a writing synthesizer, the conversation so far and where to stream its tokens."""

    as_of: int | None = None
    seen: tuple[str, ...] = ()
    history: Sequence[Any] = ()  # earlier Answers, oldest first
    on_token: Callable[[str], None] | None = None


def as_of_filters(as_of: int) -> MetadataFilters:
    """Chunks published by as_of; undated chunks stay (their time is unknown, not later)."""
    return MetadataFilters(
        filters=[
            MetadataFilter(key="published", value=as_of, operator=FilterOperator.LTE),
            MetadataFilter(key="dated", value=0, operator=FilterOperator.EQ),
        ],
        condition=FilterCondition.OR,
    )


class HybridRetrieval:
    """Builds the fused retriever for a question's point in time (cheap: bound per question)."""

    def __init__(self, store: Store, embed_model: Any, corpus: ChunkCorpus,
                 config: RetrievalConfig) -> None:
        vector_store = ChromaVectorStore(chroma_collection=store.chunks())
        self.index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)
        self.corpus = corpus
        self.config = config

    def retriever(self, as_of: int | None) -> BaseRetriever:
        cfg = self.config
        filters = as_of_filters(as_of) if as_of is not None else None
        vector = self.index.as_retriever(similarity_top_k=cfg.vector_top_k, filters=filters)
        bm25 = BM25ChunkRetriever(self.corpus, cfg.bm25_top_k, as_of)
        return QueryFusionRetriever(
            [vector, bm25],
            retriever_weights=[cfg.vector_weight, 1.0 - cfg.vector_weight],
            similarity_top_k=max(cfg.vector_top_k, cfg.bm25_top_k),
            num_queries=1,  # query rewriting needs an LLM; we have none
            mode=cfg.fusion,
            use_async=False,
            llm=MockLLM(),
        )


class RecencyPrior(BaseNodePostprocessor):
    """Weights each passage by how close its publish time is to the reference time.

    LlamaIndex's recency postprocessors sort by date outright; a news question wants
    relevance first, with recent coverage preferred among equally relevant passages.
    """

    reference: float | None = None  # None: the question's as-of time (DatedQuery), else now
    half_life_days: float = 7.0
    floor: float = 0.5  # the weight of very old coverage, relative to fresh

    @classmethod
    def class_name(cls) -> str:
        return "RecencyPrior"

    def _postprocess_nodes(self, nodes: list[NodeWithScore],
                           query_bundle: QueryBundle | None = None) -> list[NodeWithScore]:
        dated = [n for n in nodes if n.node.metadata.get("dated")]
        if self.half_life_days <= 0 or not dated:
            return nodes
        # Ages count from the newest candidate (not the wall clock), so that a story from
        # years ago still ranks its latest update first; an undated passage is left as is.
        reference = self.reference if self.reference is not None else _as_of(query_bundle)
        newest = min(reference, max(n.node.metadata["published"] for n in dated))
        for item in dated:
            age_days = max(0.0, (newest - item.node.metadata["published"]) / DAY)
            decay = 0.5 ** (age_days / self.half_life_days)
            item.score = (item.score or 0.0) * (self.floor + (1 - self.floor) * decay)
        return sorted(nodes, key=lambda n: n.score or 0.0, reverse=True)


class TopN(BaseNodePostprocessor):
    """The best n passages: what the synthesizer reads (LlamaIndex has no plain top-n cut)."""

    top_n: int = 6

    @classmethod
    def class_name(cls) -> str:
        return "TopN"

    def _postprocess_nodes(self, nodes: list[NodeWithScore],
                           query_bundle: QueryBundle | None = None) -> list[NodeWithScore]:
        return nodes[: self.top_n]


class NearDuplicates(BaseNodePostprocessor):
    """Keeps one of each set of near-identical passages: the newest version, in the best place.

    A live page republished each day repeats its posts; without this the same post, in
    three days' versions, fills the top passages and crowds out everything else.
    """

    threshold: float = 0.8  # word-set overlap (Jaccard) above which two passages are one

    @classmethod
    def class_name(cls) -> str:
        return "NearDuplicates"

    def _postprocess_nodes(self, nodes: list[NodeWithScore],
                           query_bundle: QueryBundle | None = None) -> list[NodeWithScore]:
        kept: list[tuple[set[str], NodeWithScore]] = []
        for item in nodes:
            words = set(terms(item.node.get_content()))
            twin = next((i for i, (seen, _) in enumerate(kept) if _overlap(words, seen) >= self.threshold),
                        None)
            if twin is None:
                kept.append((words, item))
            elif _published(item) > _published(kept[twin][1]):
                score = kept[twin][1].score  # the newer version takes the better place
                kept[twin] = (words, NodeWithScore(node=item.node, score=score))
        return [item for _, item in kept]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _published(item: NodeWithScore) -> float:
    meta = item.node.metadata
    return float(meta["published"]) if meta.get("dated") else float("-inf")


def _as_of(query: QueryBundle | None) -> float:
    as_of = getattr(query, "as_of", None)
    return float(as_of) if as_of is not None else time.time()
