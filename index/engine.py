"""The public engine a front end calls: answer(question, history, as_of) -> Answer, and stats()."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, QueryBundle

from .answer import CALIBRATED_WITH, NOT_SAID, Answer, Citation, SentenceSynthesizer
from .bm25 import ChunkCorpus
from .config import Config
from .embedding import fingerprint, load_embed_model, model_path
from .errors import QuestionError
from .followup import contextualize
from .intents import (
    MAX_POSTS,
    MAX_TIMELINE,
    TIMELINE,
    Digest,
    Intent,
    intent_of,
    timeline_order,
)
from .retrieval import HybridRetrieval, NearDuplicates, RecencyPrior
from .store import Stats, Store
from .terms import Rarity

log = logging.getLogger(__name__)


class Engine:
    """Loads the model and the index once; answer() is then safe to call from many threads."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.embed_model = load_embed_model(config.embedding)
        _check_calibration(model_path(config.embedding))
        self._store = store or Store.open(config.chroma)
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        # Raises IndexMissingError when there is no index.
        corpus = ChunkCorpus.open(self._store, self.config.chroma.keyword_cache)
        rarity = Rarity(corpus.term_counts, len(corpus))
        retrieval = HybridRetrieval(self._store, self.embed_model, corpus, self.config.retrieval)
        synthesizer = SentenceSynthesizer(
            self.embed_model, rarity, self.config.answer, self.config.retrieval.fused_top_k)
        with self._lock:  # swap them together: a question never sees half a reload
            self._retrieval, self._synthesizer, self._corpus = retrieval, synthesizer, corpus
            self._digest = Digest(corpus)

    def reload(self) -> None:
        """Re-read the index after a build; answers keep coming from the old one meanwhile."""
        self._load()

    def answer(self, question: str, history: Sequence[Answer] = (), as_of: int | None = None) -> Answer:
        question = check_question(question, self.config.answer.max_question_chars)
        with self._lock:
            retrieval, synthesizer, digest = self._retrieval, self._synthesizer, self._digest
        intent = intent_of(question)
        if intent is not None:
            return self._digest_answer(question, intent, as_of, retrieval, digest)
        query = contextualize(question, history, self._similarity)
        bundle = QueryBundle(query, embedding=self.embed_model.get_query_embedding(query))
        engine = RetrieverQueryEngine(
            retriever=retrieval.retriever(as_of),
            response_synthesizer=synthesizer,
            node_postprocessors=[RecencyPrior(
                reference=as_of if as_of is not None else time.time(),
                half_life_days=self.config.retrieval.recency_half_life_days,
                floor=self.config.retrieval.recency_floor), NearDuplicates()],
        )
        response = engine.query(bundle)
        meta = response.metadata or {}
        return Answer(
            question=question,
            text=str(response),
            abstained=bool(meta.get("abstained")),
            citations=tuple(_citation(i, n) for i, n in enumerate(response.source_nodes, 1)),
            reason=meta.get("reason"),
            query=query,
            retrieved=tuple(meta.get("retrieved", ())),
            confidence=float(meta.get("confidence", 0.0)),
            signals=dict(meta.get("signals") or {}),
        )

    def _digest_answer(self, question: str, intent: Intent, as_of: int | None,
                       retrieval: HybridRetrieval, digest: Digest) -> Answer:
        """The latest posts, an overview, or a timeline: every line cited like any answer."""
        if intent.kind == TIMELINE and intent.topic:
            bundle = QueryBundle(intent.topic, embedding=self.embed_model.get_query_embedding(intent.topic))
            nodes = timeline_order(retrieval.retriever(as_of).retrieve(bundle)[: 4 * MAX_TIMELINE],
                                   intent.topic)
        else:
            nodes = digest.newest_posts(as_of, MAX_POSTS)
        if not nodes:
            return Answer(question=question, text=NOT_SAID, abstained=True, query=question,
                          reason="Nothing in the coverage is close to the question.")
        return Answer(question=question, text=digest.text(intent.kind, nodes), abstained=False,
                      query=question, citations=tuple(_citation(i, n) for i, n in enumerate(nodes, 1)),
                      retrieved=tuple(n.node.metadata.get("post_id", n.node.node_id) for n in nodes),
                      confidence=1.0)

    def _similarity(self, phrase: str, others: list[str]) -> list[float]:
        vectors = np.asarray(self.embed_model.get_text_embedding_batch([phrase, *others]))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return [float(x) for x in vectors[1:] @ vectors[0]]

    def stats(self) -> Stats:
        return self._store.stats()


def _check_calibration(path: Path) -> None:
    if fingerprint(path) != CALIBRATED_WITH["fingerprint"]:
        log.warning("[embedding] model %s is not the one the answer confidence was calibrated with "
                    "(%s): abstention may be off until `python -m bench.calibrate` is rerun for it",
                    path, CALIBRATED_WITH["model"])


def check_question(question: str, limit: int) -> str:
    # A lone surrogate (JSON's "\ud800" decodes to one) makes the tokenizer raise TypeError: made U+FFFD.
    question = (question or "").encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    question = " ".join(question.split())
    if not question:
        raise QuestionError("The question is empty: ask something about the coverage.")
    if len(question) > limit:
        raise QuestionError(
            f"The question is {len(question)} characters long; please keep it under {limit}.")
    return question


def _citation(n: int, item: NodeWithScore) -> Citation:
    meta = item.node.metadata
    return Citation(
        n=n,
        post_id=meta.get("post_id", item.node.node_id),
        headline=meta.get("headline"),
        title=meta.get("title"),
        source=meta.get("source"),
        url=meta.get("url"),
        published=meta.get("published") if meta.get("dated") else None,
        text=item.node.get_content(),
    )
