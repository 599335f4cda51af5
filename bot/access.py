"""Who may use a front end: allowlists, admins, and one polite refusal per outsider."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

Id = int | str  # Telegram's ids are integers, Slack's strings: both are compared as strings


class RefusedSet(Protocol):
    def refuse(self, who: str) -> bool:
        """Note a refusal; False when `who` was refused before."""


class _InMemory:
    def __init__(self) -> None:
        self._seen: set[str] = set()

    def refuse(self, who: str) -> bool:
        if who in self._seen:
            return False
        self._seen.add(who)
        return True


def _ids(values: Iterable[Id]) -> frozenset[str]:
    return frozenset(str(v) for v in values)


@dataclass
class Access:
    """Open when both allowlists are empty; otherwise listed users (and admins) anywhere,
    and anyone in a listed place (a chat, a channel)."""

    admins: frozenset[str] = frozenset()
    allowed_users: frozenset[str] = frozenset()
    allowed_places: frozenset[str] = frozenset()
    refused: RefusedSet = field(default_factory=_InMemory)
    scope: str = ""  # keeps one front end's refusals apart from another's in a shared store

    @classmethod
    def of(cls, admins: Iterable[Id] = (), allowed_users: Iterable[Id] = (),
           allowed_places: Iterable[Id] = (), refused: RefusedSet | None = None, scope: str = "") -> Access:
        return cls(_ids(admins), _ids(allowed_users), _ids(allowed_places), refused or _InMemory(), scope)

    def is_admin(self, user: Id | None) -> bool:
        return user is not None and str(user) in self.admins

    def allowed(self, user: Id | None, place: Id | None) -> bool:
        if not self.allowed_users and not self.allowed_places:
            return True
        return (user is not None and (str(user) in self.allowed_users or self.is_admin(user))) \
            or (place is not None and str(place) in self.allowed_places)

    def refuse_once(self, user: Id | None, place: Id | None) -> bool:
        """Whether this outsider, in this place, should be told no now (the first time only)."""
        return self.refused.refuse(json.dumps([self.scope, _text(place), _text(user)]))


def _text(value: Id | None) -> str | None:
    return None if value is None else str(value)
