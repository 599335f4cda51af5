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
    number in the sentence appears in that passage as written. The numbers rule is what
    catches a fluent paraphrase with the wrong figure, which similarity alone lets through.
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
        meta = passage.node.metadata
        text = f"{meta.get('headline') or ''} {meta.get('title') or ''} {passage.node.get_content()}"
        if not set(_numbers(sentence)) <= set(_numbers(text)):
            return False
        words = set(terms(sentence))
        if not words:
            return False
        if len(words & set(terms(text))) / len(words) >= self._words_share:
            return True
        paragraphs = passage.node.get_content().split("\n\n")
        candidates = [s for p in paragraphs for s in self._split(p) if s.strip()]
        if not candidates:
            return False
        vectors = self._vectors([sentence, *candidates])
        return float(np.max(vectors[1:] @ vectors[0])) >= self._similarity


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
