"""Sentences as the answer quotes them: whole, even where a title's full stop fools the splitter;
a short paragraph whole unless configured off."""

from __future__ import annotations

from .conftest import jsonl_engine

ARTICLES = [
    {"id": "primary", "title": "Pennsylvania primary", "date": "2022-05-18",
     "text": "Celebrity physician Dr. Mehmet Oz won Pennsylvania’s Senate GOP primary by 951 votes. "
             "The recount took weeks.\n\nTurnout was low across the state."},
    {"id": "weather", "title": "Storm season", "date": "2022-05-18",
     "text": "Heavy rain flooded several towns in the valley. Roads were closed for two days."},
    {"id": "cabinet", "title": "Cabinet reshuffle", "date": "2022-05-18",
     "text": "The former harbour pilot was appointed fisheries minister on Monday in a surprise reshuffle. "
             "Jane Harlow previously ran the port authority in Eastmouth.\n\n"
             "Opposition parties said the reshuffle came too late to change the government's course on "
             "fishing quotas, which have been cut three years in a row, and called for a vote on the "
             "quotas before the summer recess. The prime minister rejected the call. "
             "Her office said the new fisheries minister would set out her plans within weeks."},
]


def test_a_title_does_not_cut_the_answer_in_two(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, ARTICLES)
    answer = engine.answer("Which celebrity physician won Pennsylvania's Senate GOP primary?")
    assert not answer.abstained
    assert answer.text.startswith("Celebrity physician Dr. Mehmet Oz won Pennsylvania’s Senate GOP primary")


def test_a_short_paragraph_is_quoted_whole_unless_configured_off(tmp_path) -> None:
    question = "Who was appointed fisheries minister on Monday?"
    (tmp_path / "sentence").mkdir()
    (tmp_path / "paragraph").mkdir()
    sentence = jsonl_engine(tmp_path / "sentence", ARTICLES,
                            answer={"quote_paragraph_chars": 0}).answer(question)
    paragraph = jsonl_engine(tmp_path / "paragraph", ARTICLES).answer(question)  # the default quotes it
    assert sentence.text.startswith("The former harbour pilot was appointed fisheries minister")
    assert "Jane Harlow" not in sentence.text
    assert paragraph.text.startswith("The former harbour pilot was appointed fisheries minister")
    assert "Jane Harlow previously ran the port authority in Eastmouth. [1]" in paragraph.text


def test_a_long_paragraph_is_still_quoted_by_the_sentence(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, ARTICLES, answer={"quote_paragraph_chars": 200})
    answer = engine.answer("What did opposition parties say about the reshuffle and fishing quotas?")
    assert not answer.abstained
    assert answer.text.startswith("Opposition parties said the reshuffle came too late")
    assert answer.text.endswith("before the summer recess. [1]")  # its sentence, not its paragraph
