"""as_of: answer from what was published by then; otherwise prefer the newer coverage."""

from __future__ import annotations

from index.cli import parse_as_of

from .conftest import jsonl_engine

UPDATES = [
    {"id": "toll-1", "title": "Flood toll rises", "date": "2024/03/01",
     "text": "Officials said 12 people have died in the floods in the northern valley."},
    {"id": "toll-2", "title": "Flood toll rises again", "date": "2024/03/05",
     "text": "Officials said 40 people have died in the floods in the northern valley."},
    {"id": "other", "title": "Budget passed", "date": "2024/03/02",
     "text": "Parliament passed the budget after a long night session."},
]


def test_as_of_hides_later_coverage_and_now_prefers_the_newest(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, UPDATES)

    then = engine.answer("How many people have died in the floods?", as_of=parse_as_of("2024-03-02"))
    assert "12 people" in then.text and "40" not in then.text
    assert {c.post_id for c in then.citations} == {"toll-1#lead"}
    assert then.citations[0].published_iso.startswith("2024-03-01")

    now = engine.answer("How many people have died in the floods?")
    assert now.citations[0].post_id == "toll-2#lead"
    assert "40 people" in now.text

    before_all = engine.answer("How many people have died in the floods?", as_of=parse_as_of("2024-02-01"))
    assert before_all.abstained and before_all.citations == ()
