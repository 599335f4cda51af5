"""Turn a follow-up ("What does he say Moscow wants?", "and the teachers?") into a query that stands alone."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .schema import Answer
from .terms import AUXILIARIES, terms

# Words that point back at something said before.
_ANAPHORA = re.compile(
    r"\b(he|she|him|hers|it|they|them|theirs|this|that|these|those|"
    r"there|then|the same|such|also|else|more|other)\b", re.I)
# Possessives usually point back inside the question itself ("Which embassy asked its
# citizens to leave?"); they point at an earlier turn only when nothing precedes them
# that they could refer to ("What is his role?").
_POSSESSIVE = re.compile(r"\b(his|her|its|their)\b", re.I)
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_QUESTION_WORDS = {"Who", "What", "Which", "When", "Where", "Why", "How", "Did", "Does", "Do",
                   "Is", "Are", "Was", "Were", "Has", "Have", "Can", "Could", "And", "The"}
# "and the teachers?", "what about north carolina?", "Almaty?": the last question again,
# about something else. The phrase must not itself ask anything ("and who killed him").
_ELLIPSIS = re.compile(r"^\s*(?:(?:and|but|so|ok|okay)\s+)?(?:(?:what|how)\s+about\s+|and\s+)?"
                       r"(?P<thing>[^?]+?)\s*\??\s*$", re.I)
_ASKS = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how|is|are|was|were|did|does|do|"
                   r"has|have|had|can|could|will|would|should)\b", re.I)
# "who is X?", "what is X?": a question about a new person or thing, whatever came before.
_DEFINE = re.compile(r"^\s*(?:and\s+)?(?:who|what)(?:'s|’s|\s+(?:is|was|are|were))\s+(?P<thing>[^?]+)",
                     re.I)
# A question with this few content words rarely stands on its own ("why?", "for how long");
# with more and no pronoun ("and how many police were killed?") it does, and carrying the
# last question's words would only pull retrieval back to the last answer.
FEW_TERMS = 1
MAX_ELLIPSIS_WORDS = 4
# How a new thing is swapped into the last question: similarity(phrase, candidates) -> scores.
Similarity = Callable[[str, list[str]], list[float]]


_AUXILIARIES = frozenset(terms(" ".join(AUXILIARIES)))


def _content(text: str) -> list[str]:
    return [t for t in terms(text) if t not in _AUXILIARIES]


def ellipsis(question: str) -> str | None:
    """The thing an elliptical follow-up asks about ("and the teachers?" -> "the teachers")."""
    match = _ELLIPSIS.match(question)
    if not match:
        return None
    thing = re.sub(r"^(the|a|an)\s+", "", match.group("thing").strip(" ,."), flags=re.I)
    words = thing.split()
    if not words or len(words) > MAX_ELLIPSIS_WORDS or _ASKS.search(thing) or _ANAPHORA.search(thing):
        return None
    return thing


def is_follow_up(question: str) -> bool:
    if ellipsis(question):
        return True
    define = _DEFINE.match(question)
    if define and not _ANAPHORA.search(define.group("thing")) and not _POSSESSIVE.search(question):
        return False
    if _ANAPHORA.search(question) or len(_content(question)) <= FEW_TERMS:
        return True
    possessive = _POSSESSIVE.search(question)
    return bool(possessive) and not _content(question[: possessive.start()])


def names(text: str) -> list[str]:
    """Capitalised word runs (people, places, bodies), question words left out."""
    found = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group().split() if w not in _QUESTION_WORDS]
        if words:
            found.append(" ".join(words))
    return found


def swap(frame: str, thing: str, similarity: Similarity | None) -> str:
    """The last question with the new thing in place of the part most like it.

    "how many children were killed at robb elementary" + "teachers" -> "how many
    teachers were killed at robb elementary". Without a similarity, or when no part
    is alike, the thing is added to the frame instead.
    """
    words = frame.rstrip(" ?").split()
    spans = [(i, j) for i in range(len(words)) for j in range(i + 1, min(i + 4, len(words) + 1))
             if terms(" ".join(words[i:j])) and terms(words[i]) and terms(words[j - 1])]
    if similarity is not None and spans:
        scores = similarity(thing, [" ".join(words[i:j]) for i, j in spans])
        # Meaning alone is a weak guide between short phrases ("teachers" is as close to
        # "classes" as to "pupils"): a part of the same shape, and an earlier one (the
        # thing asked about comes first), is more likely the one being replaced.
        shape = [_same_shape(thing, words[i:j]) + 0.05 * (1 - i / len(words)) for i, j in spans]
        best = max(range(len(spans)), key=lambda k: scores[k] + shape[k])
        if scores[best] >= SWAP_SIMILARITY:
            i, j = spans[best]
            return " ".join(words[:i] + [thing] + words[j:]) + "?"
    return f"{frame.rstrip(' ?')} {thing}?"


def _same_shape(thing: str, span: list[str]) -> float:
    """0.1 each for the same number of words and the same plural ending."""
    parts = thing.split()
    plural = parts[-1].lower().endswith("s") == span[-1].lower().endswith("s")
    return 0.1 * (len(parts) == len(span)) + 0.1 * plural


SWAP_SIMILARITY = 0.3  # below it, no part of the last question is the same kind of thing


def contextualize(question: str, history: Sequence[Answer], similarity: Similarity | None = None) -> str:
    """The question, plus what the last turn was about when it reads as a follow-up.

    An ellipsis takes the last question's frame with the new thing swapped in. Otherwise
    the previous question's names and content words are carried over, with the names
    in the passage that answered it: "What did it tell those planning to travel?" after
    an answer about the Kuwaiti embassy searches for the embassy too. Without an LLM
    this cannot resolve which of several people a pronoun means; it carries them all.
    """
    if not history or not is_follow_up(question):
        return question
    last = history[-1]
    thing = ellipsis(question)
    if thing:
        # The frame is what the last turn searched for when that was itself a swap.
        frame = last.query if last.query and "(" not in last.query else last.question
        return swap(frame, thing, similarity)
    carried: list[str] = names(last.question)
    carried += [w for w in re.findall(r"[\w’'-]+", last.question)
                if terms(w) and w not in " ".join(carried)]
    if not last.abstained:
        answer_text = re.sub(r"\[\d+\]", "", last.text)
        carried += [n for n in names(answer_text) if n not in carried][:4]
    extra = [w for w in dict.fromkeys(carried) if w.lower() not in question.lower()]
    return f"{question} ({' '.join(extra)})" if extra else question
