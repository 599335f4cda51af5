"""Sentences as the answer quotes them: whole, even where a title's full stop fools the splitter."""

from __future__ import annotations

from .conftest import jsonl_engine

ARTICLES = [
    {"id": "primary", "title": "Pennsylvania primary", "date": "2022-05-18",
     "text": "Celebrity physician Dr. Mehmet Oz won Pennsylvania’s Senate GOP primary by 951 votes. "
             "The recount took weeks.\n\nTurnout was low across the state."},
    {"id": "weather", "title": "Storm season", "date": "2022-05-18",
     "text": "Heavy rain flooded several towns in the valley. Roads were closed for two days."},
]


def test_a_title_does_not_cut_the_answer_in_two(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, ARTICLES)
    answer = engine.answer("Which celebrity physician won Pennsylvania's Senate GOP primary?")
    assert not answer.abstained
    assert answer.text.startswith("Celebrity physician Dr. Mehmet Oz won Pennsylvania’s Senate GOP primary")
