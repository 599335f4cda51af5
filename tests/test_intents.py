"""Latest posts, catch-up overviews and timelines: routed by phrasing, answered with cited passages."""

from __future__ import annotations

import re

import pytest

from index.intents import LATEST, OVERVIEW, TIMELINE, intent_of

from .conftest import jsonl_engine

PAGES = [
    {"id": "storm-1", "title": "Storm Ida live updates", "date": "2025-09-01",
     "text": "Ferries halted\n\nAll ferries to the islands were halted as the storm approached.\n\n"
             "Schools closed\n\nEvery school on the coast closed for the day."},
    {"id": "storm-2", "title": "Storm Ida live updates", "date": "2025-09-02",
     "text": "Power cut to 9,000 homes\n\nThe storm cut power to 9,000 homes overnight.\n\n"
             "Bridge reopens\n\nThe coast bridge reopened at noon after inspectors checked it."},
    {"id": "harvest", "title": "Apple harvest", "date": "2025-08-20",
     "text": "Farmers picked a record apple crop in the valley this year, the growers' board said."},
]


@pytest.mark.parametrize(("question", "kind"), [
    ("what's the latest?", LATEST), ("any updates?", LATEST), ("What is new", LATEST), ("news?", LATEST),
    ("catch me up", OVERVIEW), ("summarize", OVERVIEW), ("what's going on?", OVERVIEW),
    ("timeline of the storm", TIMELINE), ("when did the strike start?", TIMELINE),
    ("what is the latest death toll?", None), ("how many new cases?", None),
    ("what's going on in Paris with rents", None),
])
def test_intents_are_named_by_their_phrasing(question: str, kind: str | None) -> None:
    intent = intent_of(question)
    assert (intent.kind if intent else None) == kind


def test_timeline_topic() -> None:
    assert intent_of("timeline of the storm").topic == "the storm"
    assert intent_of("when did the strike start?").topic == "the strike"


def test_latest_and_overview_give_the_newest_posts_cited(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, PAGES)
    latest = engine.answer("what's the latest?")
    lines = latest.text.splitlines()
    assert lines[0].startswith("Power cut to 9,000 homes") and lines[0].endswith("[1]")
    assert "Bridge reopens" in lines[1]
    assert {int(n) for n in re.findall(r"\[(\d+)\]", latest.text)} == {c.n for c in latest.citations}
    earlier = engine.answer("any updates?", as_of=engine_day(1))
    assert earlier.text.splitlines()[0].startswith("Ferries halted")
    assert all("9,000" not in c.text for c in earlier.citations)
    overview = engine.answer("catch me up").text.splitlines()
    assert overview[0].startswith("Power cut to 9,000 homes: The storm cut power")
    assert overview[1] == "Bridge reopens [2]"


def test_a_timeline_lists_the_dated_posts_oldest_first(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, PAGES)
    answer = engine.answer("timeline of the storm")
    dates = re.findall(r"^(\d{4}-\d{2}-\d{2}) —", answer.text, re.M)
    assert dates == sorted(dates) and dates[0] == "2025-09-01" and dates[-1] == "2025-09-02"
    assert len(answer.citations) == len(answer.text.splitlines())


def engine_day(day: int) -> int:
    from index.cli import parse_as_of
    return parse_as_of(f"2025-09-0{day}")


def test_the_latest_posts_show_a_first_sentence_whole_across_a_title(tmp_path) -> None:
    pages = [{"id": "quay-1", "title": "Quay fire live updates", "date": "2025-09-03",
              "text": "Quay closed\n\nThe quay was closed by Gov. Marsh after the fire. Boats were "
                      "sent on.\n\n"
                      "Fire out\n\nFirefighters put the fire out before dawn."},
             PAGES[2]]
    latest = jsonl_engine(tmp_path, pages).answer("what's the latest?")
    assert latest.text.splitlines()[0] == "Quay closed: The quay was closed by Gov. Marsh after the fire. [1]"
