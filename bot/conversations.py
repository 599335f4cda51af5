"""Per-chat, per-topic conversation memory: recent answers for follow-ups, and answers for Sources."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field

from index import Answer

Key = tuple[int, int]  # (chat id, forum topic id or 0)


@dataclass
class _Conversation:
    turns: deque[tuple[float, Answer]]
    last_id: str | None = None


@dataclass
class Conversations:
    """Bounded in every direction: turns per conversation, their age, conversations, stored answers."""

    history_turns: int = 4
    history_minutes: float = 30.0
    max_conversations: int = 10_000
    max_answers: int = 5_000  # answers a Sources button can still show
    _conversations: OrderedDict[Key, _Conversation] = field(default_factory=OrderedDict)
    _answers: OrderedDict[str, Answer] = field(default_factory=OrderedDict)

    def history(self, key: Key, now: float | None = None) -> tuple[Answer, ...]:
        """The answers a follow-up may lean on: the last few, none older than history_minutes."""
        conversation = self._conversations.get(key)
        if conversation is None:
            return ()
        oldest = (now or time.time()) - self.history_minutes * 60
        while conversation.turns and conversation.turns[0][0] < oldest:
            conversation.turns.popleft()
        return tuple(answer for _, answer in conversation.turns)

    def add(self, key: Key, answer: Answer, now: float | None = None) -> str:
        """Remember an answer; returns the short id a Sources button carries."""
        conversation = self._conversations.pop(key, None) or _Conversation(deque(maxlen=self.history_turns))
        self._conversations[key] = conversation  # most recently used last
        while len(self._conversations) > self.max_conversations:
            self._conversations.popitem(last=False)
        conversation.turns.append((now or time.time(), answer))
        answer_id = secrets.token_urlsafe(6)
        conversation.last_id = answer_id
        self._answers[answer_id] = answer
        while len(self._answers) > self.max_answers:
            self._answers.popitem(last=False)
        return answer_id

    def forget(self, key: Key) -> None:
        self._conversations.pop(key, None)

    def last(self, key: Key) -> Answer | None:
        """The last answer in this conversation, for /sources (however old)."""
        conversation = self._conversations.get(key)
        return self._answers.get(conversation.last_id) if conversation and conversation.last_id else None

    def get(self, answer_id: str) -> Answer | None:
        return self._answers.get(answer_id)
