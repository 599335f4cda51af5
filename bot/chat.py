"""The chat core every front end shares: check, access, history, answer, remember, sources, feedback."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index import Answer, BuildReport, CoverageError, QuestionError, Stats
from index.config import ConversationConfig

from .access import Access, Id
from .service import CoverageService
from .state import Feedback, SqliteState, State

if TYPE_CHECKING:
    from index import Config, Engine

log = logging.getLogger(__name__)

# A conversation: Telegram's (chat, topic), Slack's (channel, thread_ts), the terminal's ("terminal",).
# Opaque to the core, but its parts must be JSON scalars: the state stores it as text.
Key = tuple[Hashable, ...]

EMPTY = "Ask me a question in words, e.g. “how many people were detained?”"
REFUSAL = "Sorry, this bot is only for its team's members, so I can't answer you here."
NO_INDEX = "I can't reach the coverage right now, so I can't answer. The admins can see why in the logs."
RATINGS = ("up", "down")


@dataclass(frozen=True)
class Answered:
    """An answer (perhaps "the coverage does not say"), remembered in its conversation."""

    answer: Answer
    answer_id: str  # what a Sources (or feedback) button carries


@dataclass(frozen=True)
class Invalid:
    """The question cannot be asked as it is (empty, too long...); `message` says why."""

    message: str


@dataclass(frozen=True)
class Unavailable:
    """The index cannot be reached; the reason is logged, never shown."""

    message: str = NO_INDEX


@dataclass(frozen=True)
class Refused:
    """An outsider; `tell` is true the first time only, so a refusal is said once."""

    tell: bool
    message: str = REFUSAL


Reply = Answered | Invalid | Unavailable | Refused


@dataclass(frozen=True)
class Status:
    """What an admin's stats command shows."""

    stats: Stats
    reindexing: bool
    last_build: BuildReport | None


class ChatService:
    """One front end's conversations over the shared engine service and state."""

    def __init__(self, service: CoverageService, state: State, access: Access | None = None,
                 conversation: ConversationConfig | None = None, frontend: str = "chat") -> None:
        self.service = service
        self.state = state
        self.access = access or Access.of(refused=state, scope=frontend)
        self.conversation = conversation or ConversationConfig()
        self.frontend = frontend
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @classmethod
    def open(cls, engine: Engine, config: Config, frontend: str, *, admins: Iterable[Id] = (),
             allowed_users: Iterable[Id] = (), allowed_places: Iterable[Id] = ()) -> ChatService:
        """A core over `engine`, with its state in `[state] path`; close() releases both."""
        state = SqliteState(config.state.path)
        access = Access.of(admins, allowed_users, allowed_places, refused=state, scope=frontend)
        return cls(CoverageService(engine, config), state, access, config.conversation, frontend)

    def close(self) -> None:
        self.service.close()
        self.state.close()

    async def ask(self, key: Key, question: str, user: Id | None = None, place: Id | None = None,
                  on_token: Callable[[str], None] | None = None) -> Reply:
        """Answer one question in its conversation; one question at a time per conversation.

        on_token gets a writing model's tokens as they come, from a worker thread."""
        if not self.access.allowed(user, place):
            return Refused(tell=self.access.refuse_once(user, place))
        if not question.strip():
            return Invalid(EMPTY)
        conversation = self._name(key)
        async with self._turn(conversation):
            settings = self.conversation
            history = self.state.history(conversation, time.time() - settings.history_minutes * 60,
                                         settings.history_turns)
            try:
                answer = await self.service.answer(question, history, on_token)
            except QuestionError as exc:
                return Invalid(str(exc))
            except CoverageError:
                log.exception("cannot answer: the index is unavailable")
                return Unavailable()
            return Answered(answer, self.state.remember(conversation, answer, time.time()))

    def sources(self, key: Key, answer_id: str | None = None) -> Answer | None:
        """An answer of this conversation by its id (another conversation's ids find nothing),
        or without an id its last answer since reset()."""
        return self.state.answer(self._name(key), answer_id)

    def reset(self, key: Key) -> None:
        """The next question leans on nothing said before; older Sources buttons keep working."""
        self.state.forget(self._name(key))

    def feedback(self, key: Key, answer_id: str, user: Id, rating: str) -> bool:
        """Record 👍 ("up") or 👎 ("down") on an answer of this conversation; False if it is unknown."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, got {rating!r}")
        conversation = self._name(key)
        answer = self.state.answer(conversation, answer_id)
        if answer is None:
            return False
        self.state.add_feedback(Feedback(time.time(), conversation, answer_id, str(user), rating, answer))
        return True

    async def about(self) -> Stats:
        """What the index holds, for a welcome text."""
        return await self.service.stats()

    async def status(self) -> Status:
        """What an admin sees: the index, whether a reindex runs, and the last one's report."""
        return Status(await self.service.stats(), self.service.reindexing, self.service.last_build)

    @property
    def reindexing(self) -> bool:
        return self.service.reindexing

    async def reindex(self) -> BuildReport:
        """Rebuild from the corpus; answers keep coming from the old index meanwhile. Raises CoverageError."""
        return await self.service.reindex()

    def busy(self) -> bool:
        return self.service.busy()

    def follow(self, key: Key) -> bool:
        """New posts go to this conversation as they arrive; False if they already did."""
        return self.state.follow(self._name(key), time.time())

    def unfollow(self, key: Key) -> bool:
        return self.state.unfollow(self._name(key))

    def followers(self) -> list[str]:
        """The following conversations of this front end, by name (see Announcer)."""
        prefix = json.dumps([self.frontend])[:-1] + ","
        return [c for c in self.state.followers() if c.startswith(prefix)]

    def _name(self, key: Key) -> str:
        return json.dumps([self.frontend, *key])

    @contextlib.asynccontextmanager
    async def _turn(self, conversation: str) -> AsyncIterator[None]:
        """The conversation's lock, dropped once nobody waits for it (so idle chats cost nothing)."""
        lock, users = self._locks.get(conversation, (asyncio.Lock(), 0))
        self._locks[conversation] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation]
            if users == 1:
                del self._locks[conversation]
            else:
                self._locks[conversation] = (lock, users - 1)
