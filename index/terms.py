"""Words as the engine compares them: stemmed content terms, their rarity, and question types."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# The same token pattern and stemmer as the BM25 side, so both agree on what a word is.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(STOPWORDS_EN) | {
    "many", "much", "did", "does", "do", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "according", "say", "says", "said", "tell", "told", "also",
}
_stemmer = Stemmer.Stemmer("english")

NUMBER_WORDS = (r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                r"twenty|thirty|forty|fifty|hundreds?|thousands?|millions?|billions?|dozens?|"
                r"half|a third|a quarter)\b")
_ANSWER_SHAPES = {
    "number": re.compile(NUMBER_WORDS, re.I),
    "time": re.compile(
        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
        r"march|april|may|june|july|august|september|october|november|december|yesterday|"
        r"today|tonight|week|month|year|\d{4}|since|ago)\b", re.I),
    "cause": re.compile(r"\b(because|due to|over|after|amid|following|sparked|triggered|caused|"
                        r"led to|began|prompted|blamed|result of|reason)\b", re.I),
}
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")
_QUESTION_TYPES = (
    ("cause", re.compile(r"^\s*(why|what (started|caused|triggered|sparked|prompted|led to))\b", re.I)),
    ("number", re.compile(r"^\s*(how (many|much|old|long|far|big|large)|what (number|percentage|share)"
                          r"|at what (age|rate))\b", re.I)),
    ("time", re.compile(r"^\s*(when|since when|what (year|day|date|time|month))\b", re.I)),
    ("name", re.compile(r"^\s*(who|whom|whose|which|where|what (country|city|company|group|"
                        r"party|team|state|organi[sz]ation))\b", re.I)),
)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased content words, stopwords left out, in order."""
    return [_stem(w) for w in _TOKEN.findall(text.lower()) if w not in _STOP]


def question_type(question: str) -> str | None:
    """'number', 'time' or 'name' when the question asks for one; None otherwise."""
    for kind, pattern in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return None


def has_shape(kind: str, sentence: str) -> bool:
    """Whether the sentence holds the kind of thing asked for: a number, a time, a name."""
    if kind == "name":  # a capitalised word that is not just a sentence-opening "The"
        return any(w.lower() not in _STOP for w in _CAPITALISED.findall(sentence))
    return bool(_ANSWER_SHAPES[kind].search(sentence))


class Rarity:
    """Inverse document frequency over the indexed chunks: rare words carry the question."""

    def __init__(self, document_frequencies: Mapping[str, int], n: int) -> None:
        self.df = document_frequencies  # stemmed term -> how many chunks hold it
        self.n = n

    @classmethod
    def of(cls, documents: Iterable[str]) -> Rarity:
        """Counted from texts (the engine's are counted once, with its BM25 side, and saved)."""
        df: Counter[str] = Counter()
        n = 0
        for text in documents:
            n += 1
            df.update(set(terms(text)))
        return cls(df, n)

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 0.5))

    def coverage(self, query_terms: Iterable[str], text_terms: set[str]) -> float:
        """Share of the query's weight (by idf) whose words the text contains."""
        weights = {t: self.idf(t) for t in set(query_terms)}
        total = sum(weights.values())
        return sum(w for t, w in weights.items() if t in text_terms) / total if total else 0.0

    def unknown(self, query_terms: Iterable[str]) -> list[str]:
        """Query words the coverage never uses at all."""
        return sorted({t for t in query_terms if self.df.get(t, 0) == 0})
