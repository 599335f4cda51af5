"""Words as the engine compares them: stemmed content terms, their rarity, and question types."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from .splitting import NAME_TITLES

# The same token pattern and stemmer as the BM25 side, so both agree on what a word is.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(STOPWORDS_EN) | {
    "many", "much", "did", "does", "do", "what", "which", "who", "whom", "whose", "when",
    "where", "why", "how", "according", "say", "says", "said", "tell", "told", "also",
    # What the token pattern leaves of "isn't", "didn't", ...: negation, not a content word.
    "isn", "aren", "wasn", "weren", "don", "doesn", "didn", "hasn", "haven", "hadn", "couldn",
    "shouldn", "wouldn",
    # "get" only carries another word: "how many got arrested" asks about arrests.
    "get", "gets", "got", "gotten", "getting",
}
STOPWORDS = _STOP
_stemmer = Stemmer.Stemmer("english")

_SPELLED = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
            r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
            r"eighty|ninety")
NUMBER_WORDS = (rf"\d|\b({_SPELLED}|hundreds?|thousands?|millions?|billions?|dozens?|"
                r"half|a third|a quarter)\b")
_UNITS = r"(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?)"
_ANSWER_SHAPES = {
    "number": re.compile(NUMBER_WORDS, re.I),
    # "How long" asks for a span ("about an hour", "80 minutes", "three months"), not a clock time.
    "duration": re.compile(rf"\b(\d[\d.,]*|an?|{_SPELLED}|several|few|many|"
                           rf"half an?|a couple of)[\s-]+(more\s+|full\s+)?{_UNITS}\b", re.I),
    "age": re.compile(r"\b\d{1,3}\b|-year-old|\byears? old\b", re.I),
    "time": re.compile(
        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
        r"march|april|may|june|july|august|september|october|november|december|yesterday|"
        r"today|tonight|week|month|year|\d{4}|since|ago)\b", re.I),
    "cause": re.compile(r"\b(because|due to|over|after|amid|following|sparked|triggered|caused|"
                        r"led to|began|prompted|blamed|result of|reason)\b", re.I),
}
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]+")
_QUESTION_TYPES = (
    ("cause", re.compile(r"^\s*(why|what(?:'s| is| was)? (started|caused|triggered|sparked|prompted|led to|"
                         r"set off|touched off|kicked off|behind))\b", re.I)),
    ("duration", re.compile(r"^\s*(for )?how long\b", re.I)),
    ("age", re.compile(r"^\s*how old\b", re.I)),
    ("number", re.compile(r"^\s*(how (many|much|far|big|large)|what (number|percentage|share)"
                          r"|at what (age|rate))\b", re.I)),
    ("time", re.compile(r"^\s*(when|since when|what (year|day|date|time|month))\b", re.I)),
    # "who is Ablyazov?" asks what the name is: a description, not another name.
    ("define", re.compile(r"^\s*who(?:'s|’s|\s+is|\s+was)\s+"
                          r"(?!(?:the|a|an|he|she|it|they|this|that)\b)"
                          r"[\w.'’-]+(?:\s+[\w.'’-]+){0,2}\s*\??\s*$", re.I)),
    # "who shot him?" wants someone: a name that is not only a place ("in San Antonio").
    ("person", re.compile(r"^\s*(who|whom|whose)\b", re.I)),
    ("name", re.compile(r"^\s*(which|where|what(?:'s| is| was| are| were) (?:the|his|her|its|their) names?\b"
                        r"|what (country|city|company|group|"
                        r"party|team|state|organi[sz]ation))\b", re.I)),
)


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


# "U.S.", "U.K.", "D.C.": the token pattern keeps no one-letter word, so an initialism written
# with dots vanished, while a question's "us" or "uk" stayed. Written as one word they meet.
_DOTTED = re.compile(r"\b((?:[A-Za-z]\.){2,})")


def undotted(text: str) -> str:
    """The text with initialisms written as one word ("U.S." -> "US")."""
    return _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)


def terms(text: str) -> list[str]:
    """Stemmed, lower-cased content words, stopwords left out, in order."""
    return [_stem(w) for w in content_words(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased words, stopwords left out, in order (unstemmed)."""
    return [w for w in _TOKEN.findall(undotted(text).lower()) if w not in _STOP]


def stem(word: str) -> str:
    return _stem(word.lower())


# Chat drops apostrophes: "whats the latest", "whos the shooter", "wheres he now". Read
# with them, so that these are question words, not content words the coverage never uses.
_BARE_CONTRACTION = re.compile(r"\b(what|who|where|when|why|how|that|there)s\b", re.I)
_BARE_NOT = re.compile(r"\b(is|are|was|were|do|does|did|has|have|had|could|should|would)nt\b", re.I)


def standard_spelling(question: str) -> str:
    """The question with the apostrophes chat leaves out put back ("whats" -> "what's")."""
    return _BARE_NOT.sub(r"\1n't", _BARE_CONTRACTION.sub(r"\1's", question))


# The question's opening, skipped to find what it asks about ("and how many ...", "so who ...").
_LEAD_IN = re.compile(r"^\s*(and|but|so|ok|okay|well|also|then)\b[\s,]*", re.I)
_COUNTED = re.compile(r"\bhow (many|much)\s+(.*)", re.I)
_NUMBER_TOKEN = re.compile(NUMBER_WORDS, re.I)
COUNT_WINDOW = 8  # words either side of a number that may say what it counts
# Words that say nothing about what is counted ("how many people died" counts deaths).
# Auxiliaries that the BM25 stopword list keeps but that name nothing (follow-up detection).
AUXILIARIES = frozenset("is are were was been being has have had will would can could should shall "
                        "might must get got".split())
_FILLER = frozenset({"people", "times", "total", "new", "more", "exactly", "roughly", "approximately",
                     "were", "was", "are", "is", "been", "have", "has", "had", "will", "would"})
# Capitalised, but never who or what is asked about.
_CALENDAR = frozenset("monday tuesday wednesday thursday friday saturday sunday january february march "
                      "april may june july august september october november december time".split())


def question_type(question: str) -> str | None:
    """'cause', 'duration', 'age', 'number', 'time', 'define', 'person' or 'name' when the
    question asks for one."""
    framed = _frame(question)
    return framed[0] if framed else None


def _frame(question: str) -> tuple[str, str] | None:
    """The kind of answer the question's opening asks for, and the question after that opening."""
    rest = _LEAD_IN.sub("", question)
    for kind, pattern in _QUESTION_TYPES:
        match = pattern.search(rest)
        if match:
            return kind, rest[match.end():]
    return None


def unframed(question: str) -> str:
    """The question without the words that say what kind of answer it wants.

    "what caused the strike", "how long did the siege last", "why did ...": the frame asks
    for a cause, a span, a name; a sentence that answers need not repeat it ("caused",
    "long"), so it is no word of the question's topic.
    """
    framed = _frame(question)
    return framed[1] if framed and content_words(framed[1]) else question


def counted_words(question: str, limit: int = 2) -> list[str]:
    """What a "how many/much" question counts: its first content words after the phrase.

    "how many kids died in ..." -> ["kids", "died"]: a number in the answer should stand
    beside a word for one of them ("19 children ... killed"), not beside any number.
    """
    match = _COUNTED.search(question)
    if not match:
        return []
    words = [w for w in _TOKEN.findall(match.group(2).lower()) if w not in _STOP and w not in _FILLER]
    return words[:limit]


def number_windows(sentence: str, width: int = COUNT_WINDOW) -> list[list[str]]:
    """The lower-cased words around each number in the sentence."""
    words = sentence.lower().split()
    return [[w.strip(".,;:!?\"'()“”‘’") for w in words[max(0, i - width): i + width + 1]]
            for i, word in enumerate(words) if _NUMBER_TOKEN.search(word)]


def has_shape(kind: str, sentence: str, question: str = "") -> bool:
    """Whether the sentence holds the kind of thing asked for: a number, a time, a name.

    What the question itself says does not count: "who confronted Abbott?" is not
    answered by a sentence whose only name is Abbott, nor "what was the 96-1 vote?" by 96-1.
    """
    if kind == "define":
        return _describes(sentence, question)
    if kind in ("person", "name"):
        found = _new_names(sentence, _asked_names(question))
        return any(not place for _, place in found) if kind == "person" else bool(found)
    asked = {_bare(w) for w in question.lower().split()}
    return any(_word_at(sentence, m.start()) not in asked for m in _ANSWER_SHAPES[kind].finditer(sentence))


def _bare(word: str) -> str:
    """A word without the punctuation around it or a possessive ("Harris's" -> "harris")."""
    return re.sub(r"['’]s$", "", word.strip("?.,!:;\"“”()")).strip("'’")


# A name right after one of these is where something is, not who did it.
_LOCATIVE = frozenset("in at from near outside inside across into throughout around within".split())
_JOINS = frozenset({"and", "or"})
# A title before a name is not the name: "which president ..." is answered by "President Joe Biden".
_TITLES = frozenset(t.lower() for t in NAME_TITLES) | frozenset(
    "president vice governor senator representative mayor judge justice chief general officer prime "
    "minister king queen prince princess pope secretary director chancellor coach sheriff".split())
_DIRECTIONS = frozenset("north south east west northeast northwest southeast southwest outside".split())
# A capital right after a sentence's end or a colon opens a sentence too
# (a lower-case word's: not after "Dr." or "U.S.", nor after a name that ends a sentence).
_OPENS = re.compile(r"(?:(?:^|\s)[a-z0-9][^\s.]*[.!?]|:)\s*$")


def _asked_names(question: str) -> set[str]:
    """The words of the question that may be names: all of a lower-case chat question's,
    only the capitalised ones of a cased question ("which sports league" is no name)."""
    words = question.split()
    cased = [w for w in words[1:] if w[:1].isupper()]
    return {_bare(w.lower()) for w in (cased if cased else words)}


def _new_names(sentence: str, asked: set[str]) -> list[tuple[str, bool]]:
    """The sentence's names the question does not say, each with whether it reads as a place.

    A name is a run of capitalised words; one sharing a word with the question is the
    question's own ("President Joe Biden" for "biden", but not for "president"). A capital
    that merely opens the sentence ("There's ...", "... a warning: Expect ...") names
    nothing. A title runs into the name ("Gov. Greg Abbott"). A place follows "in", "at",
    "from", "west of" ..., a place and a comma or "or" ("in Uvalde, Texas"), or a
    dateline's city ("UVALDE, Texas –").
    """
    opening = len(sentence) - len(sentence.lstrip("\"'“‘( "))
    found: list[tuple[str, bool]] = []
    place_before = False
    for run in _name_runs(sentence):
        before = sentence[: run[0].start()].split()
        place = _reads_as_place(run, before, place_before)
        place_before = place
        words = [_bare(m.group().lower()) for m in run]
        kept = [w for m, w in zip(run, words) if m.start() > opening
                and not _OPENS.search(sentence[: m.start()]) and w not in _STOP and w not in _CALENDAR]
        named = kept[1:] if len(kept) > 1 and kept[0] in _TITLES else kept
        if named and not set(named) & asked and words[-1] not in _CALENDAR:  # "Central Time"
            found.append((" ".join(kept), place))
    return found


def _name_runs(sentence: str) -> Iterator[list[re.Match]]:
    """The sentence's runs of capitalised words, a title running on ("Gov. Greg Abbott")."""
    run: list[re.Match] = []
    for m in _CAPITALISED.finditer(sentence):
        gap = sentence[run[-1].end(): m.start()].strip() if run else ""
        if gap and not (gap == "." and run[-1].group() in NAME_TITLES):  # "Gov." runs on
            yield run
            run = []
        run.append(m)
    if run:
        yield run


def _reads_as_place(run: list[re.Match], before: list[str], place_before: bool) -> bool:
    """Whether a name reads as where something is, from the words before it."""
    if not before:
        return run[0].group().isupper()  # a dateline: "UVALDE, Texas –"
    previous = before[-1].lower()
    toward = len(before) > 1 and previous == "of" and before[-2].lower() in _DIRECTIONS
    return toward or previous in _LOCATIVE or (
        place_before and (previous.endswith(",") or previous in _JOINS))


_DEFINED = re.compile(r"^\s*who(?:'s|’s|\s+is|\s+was)\s+(.+?)\s*\??\s*$", re.I)
# After the name: ", a former minister", ", who ...", " is the ...", " (DPS director)".
_DESCRIPTION = re.compile(r"^(?:['’]s)?(?:\s*,\s*(?:a|an|the|who|whose|[a-z]+)\b"
                          r"|\s+(?:is|was)\s+(?:a|an|the)\b|\s*\()")


def _describes(sentence: str, question: str) -> bool:
    """Whether the sentence says what the asked-about name is: "X, a former minister ...",
    "X is the ...", or a title just before it ("Surgeon General X", "Col. X")."""
    match = _DEFINED.match(question)
    name = match.group(1) if match else ""
    at = re.search(rf"\b{re.escape(name)}\b", sentence, re.I) if name else None
    if at is None and name:
        at = re.search(rf"\b{re.escape(name.split()[-1])}\b", sentence, re.I)
    if at is None:
        return False
    before = sentence[: at.start()].split()
    titled = bool(before) and (before[-1][:1].isupper() or before[-1].endswith(".")) and len(before) > 1
    return titled or bool(_DESCRIPTION.match(sentence[at.end():]))


def _word_at(text: str, i: int) -> str:
    """The whole word around position i, lower-cased, without punctuation at its ends."""
    start = text.rfind(" ", 0, i) + 1
    end = text.find(" ", i)
    return _bare(text[start: end if end >= 0 else len(text)].lower())


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

    def coverage(self, query_terms: Iterable[str], text_terms: set[str],
                 near: Mapping[str, float] | None = None) -> float:
        """Share of the query's weight (by idf) whose words the text contains.

        `near` gives partial credit to a query word the text only says another way (a
        word the coverage never uses, matched by meaning: "arrests" for "detained").
        """
        weights = {t: self.idf(t) for t in set(query_terms)}
        total = sum(weights.values())
        near = near or {}
        covered = sum(w * (1.0 if t in text_terms else near.get(t, 0.0)) for t, w in weights.items())
        return covered / total if total else 0.0

    def unknown(self, query_terms: Iterable[str]) -> list[str]:
        """Query words the coverage never uses at all."""
        return sorted({t for t in query_terms if self.df.get(t, 0) == 0})
