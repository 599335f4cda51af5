"""The public engine a front end calls: answer(question, history, as_of) -> Answer, and stats()."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import QueryBundle

from .answer import CALIBRATED_WITH, SentenceSynthesizer, quoted
from .answerers.base import CoverageSynthesizer
from .bm25 import ChunkCorpus
from .build import BuildReport, NewPost, build_index
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
from .retrieval import DatedQuery, HybridRetrieval, NearDuplicates, RecencyPrior, TopN
from .schema import NOT_SAID, Answer, Citation, post_ids
from .sentences import SentenceVectors
from .store import Stats, Store
from .terms import Rarity, standard_spelling

if TYPE_CHECKING:
    from .answerers.checking import CitationChecker
    from .answerers.llm import LLMSynthesizer

log = logging.getLogger(__name__)

MAX_NEW_POSTS = 1000  # new posts kept for followers; a first build's thousands are not news


class Engine:
    """Loads the model and the index once; answer() is then safe to call from many threads."""

    def __init__(self, config: Config, store: Store | None = None) -> None:
        self.config = config
        self.embed_model = load_embed_model(config.embedding)
        _check_calibration(model_path(config.embedding))
        self._store = store or Store.open(config.chroma)
        self._lock = threading.Lock()
        self._building = threading.Lock()  # one build at a time, whoever asks for it
        self._new: list[NewPost] = []  # posts that builds through update() added, oldest first
        self._new_offset = 0  # how many were dropped from the front of _new
        self._load()

    def _load(self) -> None:
        # Raises IndexMissingError when there is no index.
        corpus = ChunkCorpus.open(self._store, self.config.chroma.keyword_cache)
        rarity = Rarity(corpus.term_counts, len(corpus))
        retrieval = HybridRetrieval(self._store, self.embed_model, corpus, self.config.retrieval)
        synthesizer: CoverageSynthesizer = SentenceSynthesizer(self.embed_model, rarity, self.config.answer)
        cfg = self.config.retrieval
        top_n = cfg.fused_top_k
        if self.config.answer.backend == "llm":
            synthesizer = self._writer(synthesizer)
            top_n = max(top_n, self.config.llm.max_passages)
        # Built once per loaded index; each question binds its own as-of retriever to it.
        query_engine = RetrieverQueryEngine(
            retriever=retrieval.retriever(None),
            response_synthesizer=synthesizer,
            node_postprocessors=[RecencyPrior(half_life_days=cfg.recency_half_life_days,
                                              floor=cfg.recency_floor),
                                 NearDuplicates(), TopN(top_n=top_n)],
        )
        with self._lock:  # swap them together: a question never sees half a reload
            self._retrieval, self._query_engine, self._corpus = retrieval, query_engine, corpus
            self._synthesizer, self._digest = synthesizer, Digest(corpus)

    def _writer(self, extractive: SentenceSynthesizer) -> LLMSynthesizer:
        """The model's synthesizer, gated by and falling back to the extractive one."""
        from .answerers.llm import LLMSynthesizer, make_llm

        cfg = self.config.llm
        return LLMSynthesizer(make_llm(cfg), extractive, cfg, self._checker(extractive),
                              self.config.retrieval.fused_top_k)

    def _checker(self, extractive: SentenceSynthesizer) -> CitationChecker:
        from .answerers.checking import CitationChecker

        cfg = self.config.llm
        return CitationChecker(SentenceVectors(self.embed_model), extractive._sentences,
                               cfg.support_words, cfg.support_similarity)

    def citation_checker(self) -> CitationChecker:
        """The LLM backend's citation check with `[llm]` thresholds (bench/support.py calibrates it)."""
        with self._lock:
            synthesizer = self._synthesizer
        return self._checker(getattr(synthesizer, "_extractive", synthesizer))

    def reload(self) -> None:
        """Re-read the index after a build; answers keep coming from the old one meanwhile."""
        self._load()

    def update(self) -> BuildReport:
        """Bring the index in line with the corpus, then reload: what /reindex and the watcher do."""
        with self._building:
            report = build_index(self.config, progress=False, store=self._store,
                                 embed_model=self.embed_model)
            self.reload()
            with self._lock:
                self._new.extend(report.new_posts)
                excess = len(self._new) - MAX_NEW_POSTS
                if excess > 0:
                    del self._new[:excess]
                    self._new_offset += excess
        return report

    def new_posts(self, after: int = 0) -> tuple[int, list[NewPost]]:
        """The posts update() added since cursor `after`, and the cursor to pass next time."""
        with self._lock:
            end = self._new_offset + len(self._new)
            return end, list(self._new[max(0, after - self._new_offset):])

    def answer(self, question: str, history: Sequence[Answer] = (), as_of: int | None = None,
               on_token: Callable[[str], None] | None = None) -> Answer:
        """The answer as of a time (None: now); on_token gets a writing model's tokens as they come."""
        question, intent, (retrieval, query_engine, digest) = self._begin(question)
        if intent is not None:
            return self._digest_answer(question, intent, as_of, retrieval, digest)
        bundle = self._question(question, history, as_of, on_token)
        response = query_engine.with_retriever(retrieval.retriever(as_of)).query(bundle)
        return response.synthesis.answer(question, bundle.query_str)

    async def aanswer(self, question: str, history: Sequence[Answer] = (), as_of: int | None = None,
                      on_token: Callable[[str], None] | None = None) -> Answer:
        """answer() for an event loop: the CPU-bound parts run in worker threads."""
        question, intent, (retrieval, query_engine, digest) = self._begin(question)
        if intent is not None:
            return await asyncio.to_thread(self._digest_answer, question, intent, as_of, retrieval, digest)
        bundle = await asyncio.to_thread(self._question, question, history, as_of, on_token)
        response = await query_engine.with_retriever(retrieval.retriever(as_of)).aquery(bundle)
        return response.synthesis.answer(question, bundle.query_str)

    def _begin(self, question: str) -> tuple[str, Intent | None, tuple[HybridRetrieval, Any, Digest]]:
        """The checked question, its intent, and the loaded index's parts (taken together)."""
        question = standard_spelling(check_question(question, self.config.answer.max_question_chars))
        with self._lock:
            parts = self._retrieval, self._query_engine, self._digest
        return question, intent_of(question), parts

    def _question(self, question: str, history: Sequence[Answer], as_of: int | None,
                  on_token: Callable[[str], None] | None = None) -> DatedQuery:
        """What is searched for: the question standing alone, embedded, with its as-of time."""
        condense = getattr(self._synthesizer, "condense", None)  # a writing model condenses follow-ups
        condensed = condense(question, history) if history and condense else None  # None: it failed
        query = condensed or contextualize(question, history, self._similarity)
        return DatedQuery(query, embedding=self.embed_model.get_query_embedding(query), as_of=as_of,
                          history=tuple(history), on_token=on_token,
                          seen=quoted(history[-1] if history else None, question))

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
                      query=question, retrieved=post_ids(nodes), confidence=1.0,
                      citations=tuple(Citation.from_node(i, n) for i, n in enumerate(nodes, 1)))

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
