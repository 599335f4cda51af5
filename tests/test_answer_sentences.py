"""Sentences as the answer quotes them: whole, even where a title's full stop fools the splitter."""

from __future__ import annotations

import json

from .conftest import make_config

ARTICLES = [
    {"id": "primary", "title": "Pennsylvania primary", "date": "2022-05-18",
     "text": "Celebrity physician Dr. Mehmet Oz won Pennsylvania’s Senate GOP primary by 951 votes. "
             "The recount took weeks.\n\nTurnout was low across the state."},
    {"id": "weather", "title": "Storm season", "date": "2022-05-18",
     "text": "Heavy rain flooded several towns in the valley. Roads were closed for two days."},
]


def test_a_title_does_not_cut_the_answer_in_two(tmp_path) -> None:
    from index import Engine, build_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "wire.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    config = make_config(tmp_path, corpus)
    build_index(config, progress=False)
    answer = Engine(config).answer("Which celebrity physician won Pennsylvania's Senate GOP primary?")
    assert not answer.abstained
    assert answer.text.startswith("Celebrity physician Dr. Mehmet Oz won Pennsylvania’s Senate GOP primary")
