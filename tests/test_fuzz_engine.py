"""Fuzzing Engine.answer: any string up to the limit gives a bounded Answer with valid [n] markers, or a
CoverageError with a message, never anything else.

Against a small real index (real model, real Chroma) of made-up coverage in a tmp folder. Bounded to
run in well under a minute; FUZZ_EXAMPLES=2000 (say) runs each property that many times.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index import Answer, CoverageError, Engine, QuestionError, build_index

from .conftest import make_config

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
MARKER = re.compile(r"\[(\d+)\]")

# Made-up coverage: a fictional town, so nothing here is copied from anyone.
ARTICLES = [
    {"id": "velmora-floods", "title": "Floods in Velmora", "source": "Made-up Gazette",
     "url": "https://example.org/velmora/floods", "published": "2025-03-04T08:00:00Z",
     "text": "Heavy rain flooded the lower town of Velmora on Monday.\n\n"
             "The mayor, Irena Dovic, said 240 homes were evacuated overnight.\n\n"
             "Two bridges over the Sava Nera river were closed after the water rose by three metres."},
    {"id": "velmora-harbour", "title": "Velmora harbour reopens", "source": "Made-up Gazette",
     "url": "https://example.org/velmora/harbour", "published": "2025-03-09T10:30:00Z",
     "text": "The harbour of Velmora reopened on Sunday after five days of repairs.\n\n"
             "Ferries to the island of Oskar resumed at noon, the port authority said.\n\n"
             "Fishermen said the storm had destroyed 14 boats."},
    {"id": "velmora-festival", "title": "Lantern festival goes ahead", "source": "Made-up Courier",
     "url": "https://example.org/velmora/festival", "published": "2025-03-15T18:00:00Z",
     "text": "The lantern festival will go ahead on Saturday despite the floods.\n\n"
             "Organisers expect 12,000 visitors, fewer than last year.\n\n"
             "Proceeds will go to families who lost their homes."},
]
WORDS = sorted({w for a in ARTICLES for w in re.findall(r"\w+", a["title"] + " " + a["text"])}
               | {"who", "what", "when", "how", "many", "why", "where", "did", "is", "the", "latest",
                  "catch", "me", "up", "timeline", "of", "he", "she", "and", "?", "'s", "[1]", "&"})
PHRASES = ["what's the latest", "catch me up", "timeline of the floods", "when did the floods start",
           "how many homes were evacuated?", "who is Irena Dovic?", "and the harbour?", "what about her?"]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    base = tmp_path_factory.mktemp("fuzz-engine")
    corpus = base / "corpus"
    corpus.mkdir()
    (corpus / "velmora.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    config = make_config(Path(base), corpus)
    build_index(config, progress=False)
    return Engine(config)


def questions(limit: int) -> st.SearchStrategy[str]:
    """Random text, random corpus words, known phrasings, and each at or just over the limit."""
    # Lone surrogates too: JSON from a chat API can carry them ("\ud800" decodes to one).
    noise = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(),
                    max_size=limit + 50)
    words = st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)
    phrase = st.tuples(st.sampled_from(PHRASES), words).map(" ".join)
    long = st.tuples(st.sampled_from(WORDS + ["x", "😀", "ǅ"]), st.integers(limit - 5, limit + 5)).map(
        lambda t: (t[0] + " ") * (t[1] // (len(t[0]) + 1) + 1))
    return st.one_of(noise, words, phrase, long, st.sampled_from(PHRASES))


def longest_reply() -> int:
    """No honest reply is longer than every post quoted once, plus a sentence of reason."""
    return sum(len(a["title"]) + len(a["text"]) for a in ARTICLES) + 500


def check(engine: Engine, question: str, history: tuple[Answer, ...] = (),
          as_of: int | None = None) -> Answer | None:
    try:
        answer = engine.answer(question, history, as_of)
    except QuestionError as exc:
        normalized = " ".join(question.split())
        assert not normalized or len(normalized) > engine.config.answer.max_question_chars
        assert str(exc)
        return None
    except CoverageError as exc:  # any other refusal must still say what happened
        assert str(exc)
        return None
    assert isinstance(answer, Answer)
    assert len(answer.text) + len(answer.reason or "") <= longest_reply()
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    markers = {int(n) for n in MARKER.findall(answer.text)}
    if answer.abstained:
        assert answer.text.strip() and not markers and answer.reason
    else:
        # Exactly the cited sources: every marker has its citation, every citation its marker.
        assert markers == {c.n for c in answer.citations}, (answer.text, len(answer.citations))
    return answer


@FUZZ
@given(questions(2000), st.one_of(st.none(), st.integers(1735689600, 1767225600)))
@example("how many homes were evacuated?", None)
@example("\x00\ud800 \u202e?", None)
@example("who " * 499, None)
@example("timeline of " + "x" * 1988, None)
def test_any_question_gives_a_bounded_answer_or_a_coverage_error(engine, question: str,
                                                                 as_of: int | None) -> None:
    check(engine, question, as_of=as_of)


@FUZZ
@given(questions(300), questions(300))
@example("who is Irena Dovic?", "what did she say?")
def test_any_follow_up_gives_a_bounded_answer_or_a_coverage_error(engine, first: str, second: str) -> None:
    previous = check(engine, first)
    check(engine, second, (previous,) if previous else ())


def test_a_lone_surrogate_in_a_question_is_answered_not_raised(engine) -> None:
    """Found by this fuzzing: the tokenizer raised TypeError on "\\ud800" (json.loads makes one)."""
    answer = engine.answer(json.loads('"how many homes were evacuated \\ud800?"'))
    assert "240" in answer.text and "\ufffd" in answer.question


def test_the_checks_can_fail(engine) -> None:
    """A real answer passes; an answer whose marker points past its sources does not."""
    answer = check(engine, "how many homes were evacuated?")
    assert answer is not None and not answer.abstained and "240" in answer.text
    broken = Answer(answer.question, answer.text + " [9]", False, answer.citations)
    assert {int(n) for n in MARKER.findall(broken.text)} != {c.n for c in broken.citations}
