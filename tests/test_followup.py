"""When a question leans on the conversation, and when it stands on its own."""

from __future__ import annotations

import pytest

from index.followup import contextualize, is_follow_up


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
