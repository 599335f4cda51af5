"""A model's markers are not trusted: each sentence is checked against the passage it cites."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.core.schema import NodeWithScore

from ..schema import NOT_SAID
from ..sentences import SentenceVectors
from ..terms import terms

MARKER = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\s*\d+(?:\s*,\s*\d+)*\s*\])+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
_NOT_SAID = re.compile(r"\bthe coverage does not say\b", re.I)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Checked:
    """What survived: the text with markers renumbered to the cited passages only, in order."""

    text: str
    cited: tuple[NodeWithScore, ...]
    dropped: tuple[tuple[str, str], ...]  # (sentence, why), for the log
    abstained: bool  # the model said the passages do not answer


class CitationChecker:
    """Keeps a sentence only if its markers name given passages and one of them supports it.

    Support: the passage says enough of the sentence's content words, or the sentence means
    the same as one of the passage's sentences (embedding cosine); and either way every
    number in the sentence appears in that passage as written, and every name in it is a word
    of the passage. Those two rules catch a fluent paraphrase with the wrong figure or the
    wrong person, which shared words and similarity both let through (bench/support.py).
    """

    def __init__(self, vectors: SentenceVectors, split: Callable[[str], list[str]],
                 words_share: float, similarity: float) -> None:
        self._vectors = vectors
        self._split = split
        self._words_share = words_share
        self._similarity = similarity

    def check(self, output: str, passages: Sequence[NodeWithScore]) -> Checked:
        kept: list[tuple[str, list[int]]] = []
        dropped: list[tuple[str, str]] = []
        sentences = self.sentences(output)
        said_not = [s for s in sentences if _NOT_SAID.search(s)]
        for sentence in sentences:
            if _NOT_SAID.search(sentence):
                continue
            numbers, why = self._markers(sentence, len(passages))
            if why is None:
                bare = unmarked(sentence)
                numbers = [n for n in numbers if self.supports(bare, passages[n - 1])]
                why = None if numbers else "no cited passage supports it"
            if why is None:
                kept.append((unmarked(sentence), numbers))
            else:
                dropped.append((sentence, why))
        if not kept:
            return Checked(NOT_SAID if said_not else "", (), tuple(dropped), abstained=bool(said_not))
        return _renumbered(kept, passages, tuple(dropped))

    def sentences(self, output: str) -> list[str]:
        """The output's sentences, a marker written after the full stop kept with its sentence."""
        out: list[str] = []
        for paragraph in output.split("\n"):
            for sentence in self._split(paragraph.strip()) if paragraph.strip() else []:
                lead = _LEADING_MARKERS.match(sentence)
                if lead and out:
                    out[-1] = f"{out[-1].rstrip()} {lead.group(0).strip()}"
                    sentence = sentence[lead.end():]
                if sentence.strip():
                    out.append(sentence.strip())
        return out

    @staticmethod
    def _markers(sentence: str, given: int) -> tuple[list[int], str | None]:
        found = [int(n) for group in MARKER.findall(sentence) for n in group.split(",")]
        if not found:
            return [], "no [n] marker"
        bad = [n for n in found if not 1 <= n <= given]
        if bad:
            return [], f"marker [{bad[0]}] names no passage given"
        return list(dict.fromkeys(found)), None

    def supports(self, sentence: str, passage: NodeWithScore) -> bool:
        text = support_text(passage)
        if not numbers_agree(sentence, text) or not names_agree(sentence, text):
            return False
        share = word_share(sentence, text)
        if share is None:
            return False
        return share >= self._words_share or self.similarity(sentence, passage) >= self._similarity

    def similarity(self, sentence: str, passage: NodeWithScore) -> float:
        """The sentence's best embedding cosine with one of the passage's own sentences."""
        paragraphs = passage.node.get_content().split("\n\n")
        candidates = [s for p in paragraphs for s in self._split(p) if s.strip()]
        if not candidates:
            return 0.0
        vectors = self._vectors([sentence, *candidates])
        return float(np.max(vectors[1:] @ vectors[0]))


def support_text(passage: NodeWithScore) -> str:
    """What a cited sentence may draw on: the passage with its headline and title."""
    meta = passage.node.metadata
    return f"{meta.get('headline') or ''} {meta.get('title') or ''} {passage.node.get_content()}"


def numbers_agree(sentence: str, text: str) -> bool:
    """Every number in the sentence appears in the text as written (thousands commas aside)."""
    return set(_numbers(sentence)) <= set(_numbers(text))


def names_agree(sentence: str, text: str) -> bool:
    """Every capitalised word inside the sentence (a name, mostly) is a word of the text, in any case.

    Similarity and shared words both let through "Abbott said" for "Paxton said"; this does not."""
    said = {w.lower() for w in _WORD.findall(text)}
    return all(name.lower() in said for name in _names(sentence))


def word_share(sentence: str, text: str) -> float | None:
    """The share of the sentence's content words the text says (None: it has none)."""
    words = set(terms(sentence))
    return len(words & set(terms(text))) / len(words) if words else None


def _names(sentence: str) -> list[str]:
    # The first word is capitalised anyway; after it, a capital starts a name or a title.
    # "U.S." or "CNN" are not words of this kind: all capitals are left to the shared words.
    words = _WORD.findall(sentence)[1:]
    return [w for w in words if w[0].isupper() and any(c.islower() for c in w)]


def unmarked(sentence: str) -> str:
    """The sentence without its markers ("died [1]." -> "died.")."""
    return _BEFORE_STOP.sub(r"\1", MARKER.sub("", sentence)).strip()


def _numbers(text: str) -> list[str]:
    return [n.replace(",", "") for n in _NUMBER.findall(text)]


def _renumbered(kept: list[tuple[str, list[int]]], passages: Sequence[NodeWithScore],
                dropped: tuple[tuple[str, str], ...]) -> Checked:
    order: list[int] = []  # given passage numbers, in the order they are first cited
    parts = []
    for sentence, numbers in kept:
        for n in numbers:
            if n not in order:
                order.append(n)
        # As the extractive answer writes them: "The sentence. [1]".
        parts.append(f"{sentence} " + " ".join(f"[{order.index(n) + 1}]" for n in numbers))
    return Checked(" ".join(parts), tuple(passages[n - 1] for n in order), dropped, abstained=False)
