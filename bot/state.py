"""What the chat core keeps across restarts: answers, history marks, feedback, refusals (SQLite)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from index import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    conversation TEXT NOT NULL,
    at REAL NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_conversation ON answers (conversation, seq);
CREATE TABLE IF NOT EXISTS forgotten (conversation TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS feedback (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    conversation TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    user TEXT NOT NULL,
    rating TEXT NOT NULL,
    answer TEXT NOT NULL,
    UNIQUE (answer_id, user)
);
CREATE TABLE IF NOT EXISTS refused (who TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS followers (conversation TEXT PRIMARY KEY, since REAL NOT NULL);
"""


@dataclass(frozen=True)
class Feedback:
    """One user's 👍 or 👎 on one answer."""

    at: float
    conversation: str
    answer_id: str
    user: str
    rating: str  # "up" or "down"
    answer: Answer

    def to_json(self) -> dict:
        return {"at": self.at, "conversation": self.conversation, "answer_id": self.answer_id,
                "user": self.user, "rating": self.rating, **self.answer.to_json(),
                "cited": [c.post_id for c in self.answer.citations]}


class State(Protocol):
    """The chat core's memory; conversations are opaque strings. SqliteState is the one in use."""

    def remember(self, conversation: str, answer: Answer, at: float) -> str:
        """Store an answer; returns the short id its Sources button carries."""

    def history(self, conversation: str, since: float, turns: int) -> list[Answer]:
        """The last `turns` answers given at or after `since`, oldest first, none from before forget()."""

    def answer(self, conversation: str, answer_id: str | None = None) -> Answer | None:
        """That answer of this conversation (however old), or its last one since forget()."""

    def forget(self, conversation: str) -> None:
        """Start afresh: history() and answer(conversation) ignore what came before."""

    def refuse(self, who: str) -> bool:
        """Note a refusal; False when `who` was refused before."""

    def add_feedback(self, feedback: Feedback) -> None:
        """Record a rating; a second rating by the same user of the same answer replaces the first."""

    def feedback(self) -> list[Feedback]:
        """Every rating, oldest first."""

    def follow(self, conversation: str, at: float) -> bool: ...

    def unfollow(self, conversation: str) -> bool: ...

    def followers(self) -> list[str]: ...

    def close(self) -> None: ...


class SqliteState:
    """State in one SQLite file: several starts of one bot process see the same memory."""

    MAX_ANSWERS = 5_000  # answers a Sources button can still show
    MAX_REFUSED = 100_000  # bounded; at worst someone is refused twice

    def __init__(self, path: Path | str, max_answers: int = MAX_ANSWERS) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # One connection, shared by the event loop and the terminal's thread; the lock serialises it.
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self.max_answers = max_answers
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # With WAL, a power cut may lose the last commits, never the file: fine for chat memory.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)

    def remember(self, conversation: str, answer: Answer, at: float) -> str:
        answer_id = secrets.token_urlsafe(6)
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT INTO answers (id, conversation, at, answer) VALUES (?, ?, ?, ?)",
                             (answer_id, conversation, at, _dump(answer)))
            self._db.execute("DELETE FROM answers WHERE seq <= (SELECT MAX(seq) FROM answers) - ?",
                             (self.max_answers,))
        return answer_id

    def history(self, conversation: str, since: float, turns: int) -> list[Answer]:
        if turns <= 0:
            return []
        rows = self._rows("SELECT answer FROM answers WHERE conversation = ? AND at >= ? AND seq > ? "
                          "ORDER BY seq DESC LIMIT ?", conversation, since, self._mark(conversation), turns)
        return [_load(text) for text, in reversed(rows)]

    def answer(self, conversation: str, answer_id: str | None = None) -> Answer | None:
        if answer_id is None:
            rows = self._rows("SELECT answer FROM answers WHERE conversation = ? AND seq > ? "
                              "ORDER BY seq DESC LIMIT 1", conversation, self._mark(conversation))
        else:
            rows = self._rows("SELECT answer FROM answers WHERE conversation = ? AND id = ?",
                              conversation, answer_id)
        return _load(rows[0][0]) if rows else None

    def forget(self, conversation: str) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR REPLACE INTO forgotten (conversation, seq) "
                             "SELECT ?, COALESCE(MAX(seq), 0) FROM answers", (conversation,))
            # A mark older than every stored answer says nothing any more.
            self._db.execute("DELETE FROM forgotten WHERE seq < (SELECT MIN(seq) FROM answers)")

    def refuse(self, who: str) -> bool:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            if self._db.execute("INSERT OR IGNORE INTO refused (who) VALUES (?)", (who,)).rowcount == 0:
                return False
            (count,), = self._db.execute("SELECT COUNT(*) FROM refused").fetchall()
            if count > self.MAX_REFUSED:
                self._db.execute("DELETE FROM refused WHERE who != ?", (who,))
        return True

    def add_feedback(self, feedback: Feedback) -> None:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "INSERT OR REPLACE INTO feedback (at, conversation, answer_id, user, rating, answer) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (feedback.at, feedback.conversation, feedback.answer_id, feedback.user, feedback.rating,
                 _dump(feedback.answer)))

    def feedback(self) -> list[Feedback]:
        rows = self._rows("SELECT at, conversation, answer_id, user, rating, answer FROM feedback "
                          "ORDER BY seq")
        return [Feedback(at, conv, answer_id, user, rating, _load(text))
                for at, conv, answer_id, user, rating, text in rows]

    def follow(self, conversation: str, at: float) -> bool:
        """This conversation gets new posts; False if it already did."""
        with self._lock:
            return self._db.execute("INSERT OR IGNORE INTO followers (conversation, since) VALUES (?, ?)",
                                    (conversation, at)).rowcount == 1

    def unfollow(self, conversation: str) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM followers WHERE conversation = ?",
                                    (conversation,)).rowcount == 1

    def followers(self) -> list[str]:
        return [c for (c,) in self._rows("SELECT conversation FROM followers ORDER BY since")]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _mark(self, conversation: str) -> int:
        rows = self._rows("SELECT seq FROM forgotten WHERE conversation = ?", conversation)
        return rows[0][0] if rows else 0

    def _rows(self, sql: str, *params: object) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()


# What one stored answer may hold. A reply can be far longer (a reason quoting a long question
# once ran to 641,232 characters), and MAX_ANSWERS of those would fill memory and disk; these
# bounds keep a stored answer under about 300 KB and real passages whole.
MAX_STORED_TEXT = 10_000  # the question, the answer's text, the reason
MAX_CITATIONS = 12
MAX_PASSAGE = 20_000  # each cited passage, as a Sources button shows it (real chunks run to ~8,000)
MAX_FIELD = 500  # post id, headline, title, source, url


def bounded(answer: Answer) -> Answer:
    """The answer as stored: every part clipped to its bound, with "…" where it was cut."""
    citations = tuple(
        replace(c, post_id=_clip(c.post_id, MAX_FIELD), headline=_clip(c.headline, MAX_FIELD),
                title=_clip(c.title, MAX_FIELD), source=_clip(c.source, MAX_FIELD),
                url=c.url if c.url is None or len(c.url) <= MAX_FIELD else None,  # a cut link is wrong
                text=_clip(c.text, MAX_PASSAGE))
        for c in answer.citations[:MAX_CITATIONS])
    return replace(answer, question=_clip(answer.question, MAX_STORED_TEXT),
                   text=_clip(answer.text, MAX_STORED_TEXT), reason=_clip(answer.reason, MAX_STORED_TEXT),
                   citations=citations)


def _clip(text: str | None, limit: int) -> str | None:
    return text if text is None or len(text) <= limit else text[: limit - 1] + "…"


def _dump(answer: Answer) -> str:
    # to_json leaves out why an abstention abstained; the reply shows it, so it is kept beside.
    answer = bounded(answer)
    return json.dumps({**answer.to_json(), "reason": answer.reason}, ensure_ascii=False)


def _load(text: str) -> Answer:
    return Answer.from_json(json.loads(text))
