"""The chat core's SQLite state and access rules, without an engine: what survives, what is bounded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.access import Access
from bot.state import Feedback, SqliteState
from index import Answer, Citation

CITED = Citation(n=1, post_id="p1", headline="Head & <co>", title="Live", source="Wire",
                 url="https://x.test/?a=1", published=1641600000, text="More than 3,000 were detained.")


def answer(n: int, cited: bool = True) -> Answer:
    if not cited:
        return Answer(f"q{n}", "The coverage does not say.", True, reason="Nothing close.")
    return Answer(f"q{n}", f"Answer {n} [1].", False, (CITED,))


def test_answers_round_trip_through_json_with_dates_and_reasons(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite")
    cited, abstained = answer(1), answer(2, cited=False)
    ids = [state.remember("c", a, at=100.0) for a in (cited, abstained)]
    assert state.answer("c", ids[0]) == cited  # citations, published epoch and all
    assert state.answer("c", ids[1]) == abstained and state.answer("c", ids[1]).reason == "Nothing close."


def test_history_is_the_last_turns_within_the_window_and_forget_starts_afresh(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite")
    for n, at in enumerate((10.0, 20.0, 30.0, 40.0)):
        state.remember("c", answer(n), at)
    state.remember("other", answer(9), 50.0)
    assert [a.question for a in state.history("c", since=0.0, turns=2)] == ["q2", "q3"]
    assert [a.question for a in state.history("c", since=25.0, turns=4)] == ["q2", "q3"]
    assert state.history("c", since=0.0, turns=0) == []
    assert state.answer("c").question == "q3"
    state.forget("c")
    assert state.history("c", since=0.0, turns=4) == [] and state.answer("c") is None
    assert state.answer("other").question == "q9"
    state.remember("c", answer(5), 60.0)
    assert [a.question for a in state.history("c", since=0.0, turns=4)] == ["q5"]


def test_an_answer_id_reads_only_in_its_own_conversation(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite")
    answer_id = state.remember("mine", answer(1), 1.0)
    assert state.answer("mine", answer_id) is not None
    assert state.answer("yours", answer_id) is None
    assert state.answer("mine", "no-such-id") is None


def test_a_reopened_file_keeps_history_answers_feedback_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "s.sqlite"
    state = SqliteState(path)
    answer_id = state.remember("c", answer(1), 100.0)
    state.add_feedback(Feedback(200.0, "c", answer_id, "u1", "down", answer(1)))
    assert state.refuse("outsider")
    state.close()

    again = SqliteState(path)
    assert [a.question for a in again.history("c", since=0.0, turns=4)] == ["q1"]
    assert again.answer("c", answer_id) == answer(1)
    [fb] = again.feedback()
    assert (fb.user, fb.rating, fb.answer.question) == ("u1", "down", "q1")
    assert fb.to_json()["cited"] == ["p1"]
    assert not again.refuse("outsider")


def test_stored_answers_are_bounded_and_feedback_is_one_per_user_and_answer(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite", max_answers=3)
    ids = [state.remember("c", answer(n), float(n)) for n in range(5)]
    assert [state.answer("c", i) is not None for i in ids] == [False, False, True, True, True]
    state.add_feedback(Feedback(1.0, "c", ids[4], "u1", "up", answer(4)))
    state.add_feedback(Feedback(2.0, "c", ids[4], "u1", "down", answer(4)))
    state.add_feedback(Feedback(3.0, "c", ids[4], "u2", "up", answer(4)))
    assert [(f.user, f.rating) for f in state.feedback()] == [("u1", "down"), ("u2", "up")]


def test_access_takes_string_and_integer_ids_and_refuses_once_per_place() -> None:
    open_to_all = Access.of()
    assert open_to_all.allowed("U123", None) and open_to_all.allowed(None, None)
    access = Access.of(admins=[6], allowed_users=["U5"], allowed_places=[-200, "C9"])
    assert access.is_admin("6") and access.is_admin(6)
    assert not access.is_admin("U5") and not access.is_admin(None)
    assert access.allowed("U5", "C1") and access.allowed(6, 1) and access.allowed(9, -200)
    assert access.allowed("U7", "C9") and not access.allowed("U7", "C1") and not access.allowed(None, None)
    assert access.refuse_once(9, -300) and not access.refuse_once(9, -300)
    assert access.refuse_once(9, -301)  # somewhere else, told once more


def test_refusals_in_a_shared_store_are_kept_apart_per_front_end(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite")
    telegram = Access.of(allowed_users=[1], refused=state, scope="telegram")
    slack = Access.of(allowed_users=["U1"], refused=state, scope="slack")
    assert telegram.refuse_once(5, 5) and not telegram.refuse_once(5, 5)
    assert slack.refuse_once(5, 5)


def test_the_refused_set_is_bounded(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite")
    state.MAX_REFUSED = 2
    assert state.refuse("a") and state.refuse("b") and state.refuse("c")  # the third clears the rest
    assert not state.refuse("c") and state.refuse("a")


def test_a_huge_answer_is_stored_within_bounds(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "s.sqlite")
    passage = Citation(n=1, post_id="p1", headline="H" * 5000, title="T", source="Wire",
                       url="https://x.test/" + "a" * 5000, published=None, text="word " * 100_000)
    huge = Answer("why " * 500, "x" * 641_232, True, tuple(passage for _ in range(50)), reason="r" * 641_232)
    answer_id = state.remember("c", huge, at=1.0)
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        (size,), = db.execute("SELECT LENGTH(answer) FROM answers WHERE id = ?", (answer_id,)).fetchall()
    assert size < 300_000  # of about 26 million characters given
    stored = state.answer("c", answer_id)
    assert stored.text.startswith("xxx") and stored.text.endswith("…") and len(stored.text) <= 10_000
    assert len(stored.reason) <= 10_000 and len(stored.citations) <= 12
    assert all(len(c.text) <= 20_000 and c.text.startswith("word ") for c in stored.citations)
    assert stored.citations[0].url is None and len(stored.citations[0].headline) <= 500
    small = answer(1)
    assert state.answer("c", state.remember("c", small, at=2.0)) == small  # normal answers stay whole
