"""A question's frame ("what set off ...") asks for a kind of answer, not for its own words."""

from __future__ import annotations

from .conftest import jsonl_engine

ARTICLES = [
    {"id": "docks", "title": "Dock strike", "date": "2022-05-18",
     "text": "Dock workers at Eastmouth walked out on Monday.\n\n"
             "The strike began over a cut in overtime pay, the union said.\n\n"
             "The port authority gave the workers until Friday to return."},
    {"id": "weather", "title": "Storm season", "date": "2022-05-18",
     "text": "Heavy rain flooded several towns in the valley. Roads were closed for two days."},
]


def test_what_set_off_is_answered_by_the_cause(tmp_path) -> None:
    # "set" is a word the coverage never uses: read as the topic, it made the bot abstain.
    answer = jsonl_engine(tmp_path, ARTICLES).answer("what set off the strike?")
    assert not answer.abstained
    assert answer.text.startswith("The strike began over a cut in overtime pay")
    assert answer.signals["unknown"] == 0.0  # no word of the question is missing from the coverage
