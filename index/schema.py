"""What the engine hands out: Answer, Citation, and the typed result a synthesizer returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

NOT_SAID = "The coverage does not say."


@dataclass(frozen=True)
class Citation:
    """A numbered source: the post a marker [n] points at, and the passage quoted from it."""

    n: int
    post_id: str
    headline: str | None
    title: str | None
    source: str | None
    url: str | None
    published: int | None  # epoch seconds, UTC
    text: str

    @property
    def published_iso(self) -> str | None:
        if self.published is None:
            return None
        return datetime.fromtimestamp(self.published, tz=UTC).isoformat()

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, "post_id": self.post_id, "headline": self.headline,
                "title": self.title, "source": self.source, "url": self.url,
                "published": self.published_iso, "text": self.text}

    @classmethod
    def from_node(cls, n: int, item: NodeWithScore) -> Citation:
        """Marker n's source: the retrieved passage and its post's metadata."""
        meta = item.node.metadata
        return cls(
            n=n,
            post_id=meta.get("post_id", item.node.node_id),
            headline=meta.get("headline"),
            title=meta.get("title"),
            source=meta.get("source"),
            url=meta.get("url"),
            published=meta.get("published") if meta.get("dated") else None,
            text=item.node.get_content(),
        )


@dataclass(frozen=True)
class Answer:
    """What a front end shows: the answer text with [n] markers, and exactly the cited sources."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...] = ()
    reason: str | None = None  # why the coverage does not say, when abstained
    query: str = ""  # what was searched for (the question, plus context for a follow-up)
    retrieved: tuple[str, ...] = ()  # post ids in ranked order, for evaluation
    confidence: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)  # the confidence's parts, for calibration
    note: str | None = None  # one line for the user, e.g. that the model was unavailable

    def to_json(self) -> dict[str, Any]:
        out = {"question": self.question, "answer": self.text, "abstained": self.abstained,
               "citations": [c.to_json() for c in self.citations]}
        return {**out, "note": self.note} if self.note else out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        """What to_json wrote, read back (a front end's stored answers); "reason" is read if present."""
        def epoch(iso: str | None) -> int | None:
            return None if iso is None else int(datetime.fromisoformat(iso).timestamp())

        citations = tuple(Citation(**{**c, "published": epoch(c["published"])}) for c in data["citations"])
        return cls(question=data["question"], text=data["answer"], abstained=data["abstained"],
                   citations=citations, reason=data.get("reason"), note=data.get("note"))


@dataclass(frozen=True)
class Synthesis:
    """What a synthesizer made of the passages: its text, the passages it cites (marker n is
    cited[n-1]), or why it abstained; and what it was given and how sure it was."""

    text: str
    abstained: bool
    cited: tuple[NodeWithScore, ...] = ()
    reason: str | None = None
    retrieved: tuple[str, ...] = ()  # post ids of the passages it was given, in ranked order
    confidence: float = 0.0
    signals: dict[str, float] = field(default_factory=dict)
    note: str | None = None

    @classmethod
    def abstain(cls, reason: str, **kwargs: Any) -> Synthesis:
        return cls(text=NOT_SAID, abstained=True, reason=reason, **kwargs)

    def answer(self, question: str, query: str) -> Answer:
        """The Answer a front end shows, its citations numbered as the text's markers."""
        return Answer(
            question=question, text=self.text, abstained=self.abstained,
            citations=tuple(Citation.from_node(i, n) for i, n in enumerate(self.cited, 1)),
            reason=self.reason, query=query, retrieved=self.retrieved,
            confidence=self.confidence, signals=dict(self.signals), note=self.note,
        )


def post_ids(nodes: Any) -> tuple[str, ...]:
    """The post each passage comes from, in order (a passage without one is its own)."""
    return tuple(n.node.metadata.get("post_id", n.node.node_id) for n in nodes)
