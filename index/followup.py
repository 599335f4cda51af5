"""Turn a follow-up ("What does he say Moscow wants?") into a query that stands on its own."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .answer import Answer
from .terms import terms

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
# A question with this few content words rarely stands on its own ("what about Almaty?");
# with more and no pronoun ("and how many police were killed?") it does, and carrying the
# last question's words would only pull retrieval back to the last answer.
FEW_TERMS = 1


def is_follow_up(question: str) -> bool:
    if _ANAPHORA.search(question) or len(terms(question)) <= FEW_TERMS:
        return True
    possessive = _POSSESSIVE.search(question)
    return bool(possessive) and not terms(question[: possessive.start()])


def names(text: str) -> list[str]:
    """Capitalised word runs (people, places, bodies), question words left out."""
    found = []
    for match in _NAME.finditer(text):
        words = [w for w in match.group().split() if w not in _QUESTION_WORDS]
        if words:
            found.append(" ".join(words))
    return found


def contextualize(question: str, history: Sequence[Answer]) -> str:
    """The question, plus what the last turn was about when it reads as a follow-up.

    The previous question's names and content words are carried over, with the names
    in the passage that answered it: "What did it tell those planning to travel?" after
    an answer about the Kuwaiti embassy searches for the embassy too. Without an LLM
    this cannot resolve which of several people a pronoun means; it carries them all.
    """
    if not history or not is_follow_up(question):
        return question
    last = history[-1]
    carried: list[str] = names(last.question)
    carried += [w for w in re.findall(r"[\w’'-]+", last.question)
                if terms(w) and w not in " ".join(carried)]
    if not last.abstained:
        answer_text = re.sub(r"\[\d+\]", "", last.text)
        carried += [n for n in names(answer_text) if n not in carried][:4]
    extra = [w for w in dict.fromkeys(carried) if w.lower() not in question.lower()]
    return f"{question} ({' '.join(extra)})" if extra else question
