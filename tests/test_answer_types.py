"""What a question asks for, and which sentences can hold it: pure text rules on made-up text."""

from __future__ import annotations

import pytest

from index.terms import (
    counted_words,
    has_shape,
    number_windows,
    question_type,
    standard_spelling,
    terms,
    undotted,
    unframed,
)
from index.words import answer_like


@pytest.mark.parametrize(("question", "kind"), [
    ("how long did the siege last?", "duration"),
    ("for how long", "duration"),
    ("how old is the mayor", "age"),
    ("and how many ferries sank?", "number"),
    ("why did the strike start?", "cause"),
    ("when does the ferry sail", "time"),
    ("who runs the port", "person"),
    ("which ferry sank", "name"),
    ("what were their names", "name"),
    ("what name did he use", None),
    ("is the bridge open?", None),
])
def test_question_types(question: str, kind: str | None) -> None:
    assert question_type(question) == kind


def test_a_duration_is_a_span_not_a_clock_time() -> None:
    assert has_shape("duration", "The crews searched for about an hour before dark.")
    assert has_shape("duration", "The blockade lasted 80 minutes.")
    assert not has_shape("duration", "The ferry left the harbour at 11:30 a.m. on Friday.")


def test_what_the_question_says_is_not_the_answer() -> None:
    question = "who confronted Mayor Lind at the harbour meeting?"
    assert not has_shape("name", "Mayor Lind spoke at the harbour meeting on Friday.", question)
    assert has_shape("name", "The fisherman Ola Berg confronted Lind at the meeting.", question)
    # A capital that merely opens the sentence names nothing.
    assert not has_shape("name", "There is concern about the harbour.", "which harbour is closed?")
    assert not has_shape("number", "The 96-1 vote was held on Friday.", "what was the 96-1 vote about?")
    assert has_shape("number", "The bill passed 96-1.", "what was the senate vote?")


def test_who_wants_someone_not_only_a_place() -> None:
    question = "who rescued the crew off Westport?"
    assert not has_shape("person", "The crew waited for hours in Eastmouth or Port Ellen.", question)
    assert has_shape("name", "The crew waited in Eastmouth or Port Ellen.", "where did the crew wait?")
    assert has_shape("person", "Harbour pilot Ola Berg rescued the crew.", question)
    assert has_shape("person", "The crew was rescued by Dr. Berg.", question)
    # A dateline names the city the story was filed from, and its state after the comma.
    assert not has_shape("person", "WESTPORT, Maine – The crew was rescued on Friday.", question)


def test_a_name_the_question_says_is_not_a_new_one() -> None:
    question = "who confronted Mayor Lind?"
    # A title and a first name run into the name the question says.
    assert not has_shape("person", "Mayor Erik Lind spoke at the harbour meeting.", question)
    assert not has_shape("person", "Gov. Erik Lind spoke at the harbour meeting.", question)
    # A capital after a colon opens a sentence.
    assert not has_shape("person", "Lind's warning came early: Expect delays.", question)
    assert has_shape("person", "Lind was confronted by Ola Berg.", "who confronted lind's deputy?")


def test_a_title_or_a_common_noun_the_question_says_is_no_name() -> None:
    assert has_shape("name", "Then Mayor Ola Berg closed the port.", "which mayor closed the port?")
    assert not has_shape("person", "Then Mayor Ola Berg closed the port.", "who did berg succeed?")
    # A cased question capitalises its names: its "league" is a common noun.
    sentence = "After a break, the National Ferry League (NFL) sailed again."
    assert has_shape("name", sentence, "Which ferry league sailed again this week?")


def test_counted_words_say_what_a_number_counts() -> None:
    assert counted_words("how many teachers were killed in the fire?") == ["teachers", "killed"]
    assert counted_words("how many people died in the flood") == ["died", "flood"]
    assert counted_words("who runs the port") == []
    windows = number_windows("The district said 640 pupils attend the school.")
    assert any("pupils" in w for w in windows)


@pytest.mark.parametrize(("sentence", "ok"), [
    ("How many ferries sank in the storm?", False),  # a question answers nothing
    ("MORE:Harbour officials investigate the ferry sinking", False),  # a link teaser
    ("Storm warning:Read the latest on the ferry", False),
    ("Officials said the ferry sank at 7:30 in the morning.", True),
    ("Two ferries sank.", True),
    ("Read more", False),
])
def test_which_sentences_can_answer(sentence: str, ok: bool) -> None:
    assert answer_like(sentence) is ok


def test_what_is_the_name_of_asks_for_a_name() -> None:
    assert question_type("what's the name of the gun shop?") == "name"
    question = "what's the name of the gun shop?"
    assert not has_shape("name", "He bought both rifles at a local gun shop.", question)


def test_who_is_a_name_wants_what_the_name_is() -> None:
    question = "who is Ola Berg?"
    assert question_type(question) == "define"
    assert question_type("who is the harbour master?") == "person"
    assert has_shape("define", "Ola Berg, a former ferry captain who lives in Westport, said so.", question)
    assert has_shape("define", "Harbour Master Ola Berg closed the port.", question)
    assert not has_shape("define", "Berg said the port would stay closed.", question)


@pytest.mark.parametrize(("typed", "read"), [
    ("whos the mayor of Eastmouth", "who's the mayor of Eastmouth"),
    ("Wheres the ferry now?", "Where's the ferry now?"),
    ("it isnt running and they didnt say", "it isn't running and they didn't say"),
    ("has the line suspended its crossings", "has the line suspended its crossings"),  # a possessive
    ("whatsoever", "whatsoever"),
])
def test_apostrophes_chat_leaves_out_are_put_back(typed: str, read: str) -> None:
    assert standard_spelling(typed) == read


def test_a_question_without_apostrophes_has_its_type() -> None:
    assert question_type(standard_spelling("whos the mayor")) == "person"
    assert terms(standard_spelling("whats the latest")) == ["latest"]


@pytest.mark.parametrize("sentence", ["Nineteen children were hurt.", "They waited for seventeen days.",
                                      "Ninety-one ballots were lost.", "Sixty people came."])
def test_numbers_spelled_in_the_teens_and_tens_are_numbers(sentence: str) -> None:
    kind = "duration" if "days" in sentence else "number"
    assert has_shape(kind, sentence)
    assert number_windows(sentence)


def test_initialisms_with_dots_are_words() -> None:
    assert terms("The U.S. toll and the U.K. one") == terms("the us toll and the uk one")
    assert undotted("U.S.-led talks in Washington, D.C.") == "US-led talks in Washington, DC"


@pytest.mark.parametrize(("question", "topic"), [
    ("what set off the strike?", " the strike?"),
    ("and what's behind the walkout", " the walkout"),
    ("how long did the siege last", " did the siege last"),
    ("what date is that", "what date is that"),  # nothing but the frame: the question stays
    ("is the bridge open?", "is the bridge open?"),
])
def test_the_frame_of_a_question_is_not_its_topic(question: str, topic: str) -> None:
    assert unframed(question) == topic
    assert question_type("what set off the strike?") == "cause"


def test_get_only_carries_another_word() -> None:
    assert terms("how many people got arrested") == terms("how many people arrested")
    assert counted_words("how many got arrested at the docks") == ["arrested", "docks"]


def test_what_the_question_says_stays_its_own_with_or_without_a_final_s() -> None:
    # The sentence's word and the question's are cut the same way: "20s" is not "20".
    assert not has_shape("number", "The 20s crowd came back.", "how many of the 20s crowd came?")
    assert has_shape("number", "Some 300 people came back.", "how many of the 20s crowd came?")


def test_only_a_title_runs_into_the_name_after_it() -> None:
    # "Mass." is a state after a place, not a title: Governor Berg is someone.
    assert has_shape("person", "The talks in Westport, Mass. Governor Berg agreed.", "who agreed to talks?")
    assert not has_shape("person", "The talks were in Westport, Mass. on Friday.", "who agreed to talks?")
