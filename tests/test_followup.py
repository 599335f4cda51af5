"""When a question leans on the conversation, and when it stands on its own."""

from __future__ import annotations

import pytest

from index.followup import contextualize, ellipsis, is_follow_up, swap


@pytest.mark.parametrize("question", ["Who did he thank?", "What is his role?",
                                      "Where did their protests start?",
                                      "What did it tell those planning to travel there?", "Almaty?"])
def test_questions_that_point_back(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize("question", ["Which embassy asked its citizens to leave?",
                                      "Why did Tokayev fire his government?",
                                      "How many police and national guard members were killed?"])
def test_questions_that_stand_alone(question: str) -> None:
    assert not is_follow_up(question)


def test_a_standalone_question_after_an_answer_is_not_pulled_back_to_it(seed_engine) -> None:
    first = seed_engine.answer("What did Tokayev order the security forces to do?")
    question = "Which embassy asked its citizens to leave?"
    assert contextualize(question, [first]) == question
    answer = seed_engine.answer(question, history=[first])
    assert "Kuwait" in answer.text and "Putin" not in answer.text
    follow = seed_engine.answer("Who did he thank?", history=[first])
    assert "Putin" in follow.text


def _overlap(phrase: str, others: list[str]) -> list[float]:
    """A stand-in similarity: shared letters' share (the engine uses the embedding model)."""
    return [len(set(phrase) & set(o)) / len(set(phrase) | set(o)) for o in others]


@pytest.mark.parametrize(("question", "thing"), [("what about the southern strait?", "southern strait"),
                                                  ("and Eastmouth?", "Eastmouth"), ("Ferries?", "Ferries")])
def test_an_ellipsis_names_the_new_thing(question: str, thing: str) -> None:
    assert ellipsis(question) == thing
    assert is_follow_up(question)


@pytest.mark.parametrize("question", ["and who sank them?", "why?", "what about it?"])
def test_a_phrase_that_asks_or_points_back_is_no_ellipsis(question: str) -> None:
    assert ellipsis(question) is None


def test_an_ellipsis_keeps_the_last_questions_frame() -> None:
    swapped = swap("how many ferries sank in the northern strait?", "southern strait", _overlap)
    assert swapped == "how many ferries sank in the southern strait?"
    # With nothing alike to replace, the thing joins the frame instead.
    assert swap("how many ferries sank?", "Eastmouth", None) == "how many ferries sank Eastmouth?"


def test_who_is_a_new_name_stands_alone() -> None:
    assert not is_follow_up("who is Ola Berg?")
    assert not is_follow_up("who is ola berg")
    assert is_follow_up("who is he?")
    assert is_follow_up("what were their names")
