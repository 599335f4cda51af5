"""How the engine answers chat questions, on made-up coverage: synonyms, counts, repeated daily pages,
follow-ups, bounded refusals and the calibration's model check."""

from __future__ import annotations

import json
import logging

from index.answer import confidence
from index.engine import _check_calibration

from .conftest import jsonl_engine

STORY = [
    {"id": "strike-day1", "title": "Ferry strike live updates", "date": "2025-03-02",
     "text": "Crews walked out at dawn\n\n"
             "The ferry crews of the Halden line walked out at dawn over a pay cut, leaving the islands "
             "without a crossing. The union said 40 ferries were idle by noon.\n\n"
             "Harbour police\n\n"
             "Harbour police said more than 120 protesters were detained overnight outside the "
             "ministry in Eastmouth.\n\n"
             "The school\n\n"
             "The island school said 640 pupils could not reach their classes.\n\n"
             "Officials said three teachers could not reach the island school either."},
    {"id": "strike-day2", "title": "Ferry strike live updates", "date": "2025-03-03",
     "text": "Crews walked out at dawn\n\n"
             "The ferry crews of the Halden line walked out at dawn over a pay cut, leaving the islands "
             "without a crossing. The union said 45 ferries were idle by noon.\n\n"
             "Talks\n\n"
             "Talks between the union and the ministry are set to resume on Friday in Westport."},
    {"id": "orchard", "title": "Apple harvest", "date": "2025-03-02",
     "text": "Farmers in the valley picked a record apple crop this autumn, the growers' board said."},
    {"id": "league", "title": "Cup final", "date": "2025-03-01",
     "text": "Northfield won the cup final 2-1 after extra time in front of 30,000 fans."},
]


def test_a_word_the_coverage_never_uses_lowers_confidence_but_does_not_veto(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    answer = engine.answer("how many arrests in eastmouth?")  # the coverage says "detained"
    assert not answer.abstained, answer.reason
    assert "120 protesters were detained" in answer.text
    assert answer.signals["unknown"] > 0


def test_a_long_question_matched_as_well_as_a_short_one_is_surer(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    short = engine.answer("how many detained?")
    long = engine.answer("how many protesters did the harbour police say were detained overnight "
                         "outside the ministry in eastmouth?")
    assert "120 protesters" in long.text
    assert short.signals["question_words"] < long.signals["question_words"]
    # The same match says less of a short question: more of it could be matched by chance.
    as_if_short = dict(long.signals, question_words=short.signals["question_words"])
    assert confidence(long.signals) > confidence(as_if_short)


def test_a_count_answers_what_was_asked_to_be_counted(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    answer = engine.answer("how many teachers could not get to the island?")
    assert "three teachers" in answer.text
    assert "640" not in answer.text


def test_a_post_repeated_on_the_next_days_page_appears_once_in_its_newest_version(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    answer = engine.answer("how many ferries were idle?")
    assert "45 ferries" in answer.text and "40 ferries" not in answer.text
    versions = [p for p in answer.retrieved if p.endswith("#crews-walked-out-at-dawn")]
    assert versions == ["strike-day2#crews-walked-out-at-dawn"], answer.retrieved


def test_an_ellipsis_asks_the_last_question_about_the_new_thing(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    first = engine.answer("how many pupils could not reach their classes?")
    assert "640" in first.text
    second = engine.answer("and teachers?", history=[first])
    assert "teachers" in second.query and "pupils" not in second.query, second.query
    assert "three teachers" in second.text


def test_an_off_topic_question_abstains_with_a_bounded_reason(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    answer = engine.answer("who won the oscar for best picture?")
    assert answer.abstained and not answer.citations
    flood = engine.answer("x" * 1200 + " " + " ".join(f"zq{i}word" for i in range(60)))
    assert flood.abstained
    assert len(flood.reason or "") < 300


def test_a_model_other_than_the_calibrated_one_is_warned_about(tmp_path, caplog) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "other"}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.engine"):
        _check_calibration(tmp_path)
    assert "calibrated" in caplog.text


OUTBREAK = [
    {"id": "outbreak", "title": "Flu outbreak live updates", "date": "2025-03-02",
     "text": "Cases climb\n\nThe number of flu cases in Italy has climbed to 2,036, health officials "
             "said.\n\n"
             "Hospitals\n\nHospitals in Milan said they had added 300 beds for flu patients."},
    {"id": "orchard", "title": "Apple harvest", "date": "2025-03-02",
     "text": "Farmers in the valley picked a record apple crop this autumn, the growers' board said."},
]


def test_a_name_the_coverage_lacks_is_reported_as_a_lost_name(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, OUTBREAK)
    italy = engine.answer("how many flu cases are in italy?")
    assert "2,036" in italy.text and italy.signals["lost_name"] == 0.0
    assert engine.answer("how many flu cases are in spain?").signals["lost_name"] == 1.0  # never named
    assert engine.answer("how many flu arrests in italy?").signals["lost_name"] == 0.0  # a word, not a name


BRIDGE = [
    {"id": "bridge", "title": "Halden bridge opens", "date": "2025-03-02",
     "text": "The opening\n\nMayor Ann Reid opened the new Halden bridge on Monday, officials said, "
             "ending two years of works on the river crossing.\n\n"
             "The mayor\n\nReid, 52, was first elected mayor of Halden in 2019 and won a second term last "
             "spring.\n\nTraffic\n\nThe council expects 12,000 cars a day to cross the new bridge."},
    {"id": "orchard", "title": "Apple harvest", "date": "2025-03-02",
     "text": "Farmers in the valley picked a record apple crop this autumn, the growers' board said."},
]


def test_a_follow_up_gets_something_new_rather_than_the_sentence_just_quoted(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, BRIDGE)
    first = engine.answer("who opened the halden bridge?")
    assert "Ann Reid opened" in first.text
    second = engine.answer("when was she first elected?", history=[first])
    assert "2019" in second.text and "Ann Reid opened" not in second.text, second.text


def test_a_question_typed_without_apostrophes_reads_as_with_them(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, STORY)
    bare = engine.answer("whats idle on the halden line")
    spelled = engine.answer("what's idle on the halden line")
    # "whats" is a question word, not a word the coverage never uses.
    assert bare.signals["unknown"] == spelled.signals["unknown"] == 0
    assert bare.confidence == spelled.confidence
    assert "ferries were idle" in bare.text


QUAY = [{"id": "quay", "title": "Quay fire live updates", "date": "2025-04-02",
         "text": "A fire broke out at the Eastmouth quay warehouse on Tuesday night, the harbour "
                 "master said.\n\n"
                 "Firefighters from three towns fought the blaze at the quay warehouse until dawn.\n\n"
                 "The harbour master said the fire started in a shed where paint was stored."},
        STORY[2]]


def test_a_second_sentence_may_come_from_the_same_post_as_the_first(tmp_path) -> None:
    engine = jsonl_engine(tmp_path, QUAY)
    answer = engine.answer("what did the harbour master say about the eastmouth quay fire?")
    # The lead restates the question; the post's later paragraph is what the master said of it.
    assert "started in a shed where paint was stored" in answer.text
    assert "Firefighters" not in answer.text
    assert len(answer.citations) == 1


def test_a_question_frame_is_not_a_word_the_coverage_lacks(tmp_path) -> None:
    # "kicked off" asks for a cause; the coverage never says "kicked", and must not be held to it.
    answer = jsonl_engine(tmp_path, STORY).answer("what kicked off the ferry crews walking out?")
    assert not answer.abstained, answer.reason
    assert "walked out at dawn over a pay cut" in answer.text
    assert answer.signals["unknown"] == 0.0
