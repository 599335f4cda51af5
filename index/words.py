"""Words matched by meaning (the embedding model's word vectors), and which sentences can be answers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .sentences import SentenceVectors
from .terms import stem

# Cosine between two words' MiniLM vectors above which they name the same thing:
# detained/arrests 0.73, children/kids 0.88, killed/died 0.79, wounded/hurt 0.62, while
# unrelated counts stay below (cases/deaths 0.35, protesters/arrests 0.42).
SIMILAR = 0.6
# A link teaser or a section label scraped with the text: "MORE:Texas officials ...",
# "Teacher's worries:I'm a ...". A label, then a colon with no space after it.
_TEASER = re.compile(r"^[^.:!?]{1,60}:(?=[^\s\d/])")
_CLOSERS = "’”\"')]» "
# A capitalised word that does not open its sentence: a name ("Italy", "Reid").
_NAME = re.compile(r"(?<![.!?:\"“]\s)(?<![\"“‘(])(?<!^)\b[A-Z][a-z]\w*")


def answer_like(sentence: str) -> bool:
    """Whether a sentence can answer at all: a question, a teaser or a fragment cannot."""
    text = sentence.strip()
    if len(text.split()) < 3 or text.rstrip(_CLOSERS).endswith("?"):
        return False
    return not _TEASER.match(text)


def names(text: str) -> set[str]:
    """The lower-cased names in a text: capitalised words that do not open a sentence.

    A name matches only itself. Two names can be close as vectors ("spain" and "italy",
    0.6 and up) and still never stand for each other, as "arrests" and "detained" do.
    """
    return {m.group().lower() for m in _NAME.finditer(text)}


class WordMatcher:
    """Single words compared through their embeddings; the vectors are remembered."""

    def __init__(self, embed_model: Any) -> None:
        self._vectors = SentenceVectors(embed_model, capacity=50_000, batch_size=64)

    def matches(self, wanted: Iterable[str], words: Iterable[str]) -> dict[str, dict[str, float]]:
        """For each wanted word, the given words that are it or mean it, with how closely.

        One batch per question: the caller collects every word it will ask about first.
        """
        wanted = sorted(set(wanted))
        words = sorted({w for w in words if w})
        if not wanted or not words:
            return {w: {} for w in wanted}
        vectors = self._vectors(wanted + words)
        sims = vectors[: len(wanted)] @ vectors[len(wanted):].T
        out: dict[str, dict[str, float]] = {}
        for i, w in enumerate(wanted):
            same = stem(w)
            out[w] = {x: (1.0 if stem(x) == same else float(sims[i, j]))
                      for j, x in enumerate(words) if stem(x) == same or sims[i, j] >= SIMILAR}
        return out
