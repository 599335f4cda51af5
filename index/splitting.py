"""Sentences as the engine cuts them: NLTK's Punkt, mended where it cuts after a title."""

from __future__ import annotations

import re
from collections.abc import Callable

from llama_index.core.node_parser.text.utils import split_by_sentence_tokenizer

# Abbreviated titles, which run into the name after them ("Gov. Greg Abbott").
NAME_TITLES = ("Dr", "Jr", "Sr", "Mr", "Mrs", "Ms", "St", "Rep", "Reps", "Sen", "Gov", "Gen", "Lt", "Col",
               "Sgt", "Capt", "Prof", "Rev", "Hon", "Pres", "Supt")
# Punkt does not know these and ends a sentence after them, splitting a name or a time in two.
_TITLE_END = re.compile(r"(?:^|\s)(?:" + "|".join(NAME_TITLES) + r"|No|Nos|U\.S|U\.K|"
                        r"Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec|a\.m|p\.m)\.\s*$")
_LOWER_START = re.compile(r"^[\"'“‘(]?[a-z]")  # a sentence never opens in lower case: a false cut


def sentence_splitter() -> Callable[[str], list[str]]:
    """A function from text to its sentences, each with the whitespace after it (so that they
    join back into the text), mended where Punkt cut after a title ("Dr. | Oz won...",
    "7 p.m. | curfew")."""
    split = split_by_sentence_tokenizer()

    def sentences(text: str) -> list[str]:
        out: list[str] = []
        for sentence in split(text):
            if out and (_TITLE_END.search(out[-1]) or _LOWER_START.match(sentence.lstrip())):
                out[-1] += sentence
            else:
                out.append(sentence)
        return out

    return sentences
