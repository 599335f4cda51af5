"""Questions that want more than one fact: the latest posts, a catch-up overview, a timeline; and the router.

The router matches phrasing, not meaning. LlamaIndex's EmbeddingSingleSelector would pick
the intent whose description a question is closest to, and "how many new cases?" or "what
is the latest death toll?" share the words of "the latest news" while asking for one fact
(a risk, not measured here). These
intents are asked for in a few fixed ways, which a pattern names exactly and a test pins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from llama_index.core.schema import NodeWithScore
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from .bm25 import ChunkCorpus
from .splitting import sentence_splitter
from .terms import terms

LATEST, OVERVIEW, TIMELINE = "latest", "overview", "timeline"
_PATTERNS = (
    (OVERVIEW, re.compile(r"^\s*(?:can you |please )?(?:catch me up|fill me in|recap|summar(?:y|i[sz]e)\b"
                          r"|(?:give me )?(?:an? )?(?:overview|rundown)|what'?s (?:going on|happening)\??$"
                          r"|what is (?:going on|happening)\??$)", re.I)),
    (TIMELINE, re.compile(r"^\s*(?:(?:give me |show me )?(?:a |the )?timeline(?: of| for)?\s+(?P<topic>.+?)"
                          r"|when did (?P<topic2>.+?) (?:start|begin))\s*\??\s*$", re.I)),
    (LATEST, re.compile(r"^\s*(?:(?:so |and |ok )?(?:what'?s|what is|whats) (?:the )?(?:latest|new|newest)"
                        r"(?: news| updates?)?|any (?:news|updates?|new developments)"
                        r"|latest(?: news| updates?)?|(?:news|updates?))\s*[?.!]*\s*$", re.I)),
)
MAX_POSTS = 5
MAX_TIMELINE = 8
PAGE_SLACK = 40  # newest first chunks read per post shown, to put a page's posts in order


@dataclass(frozen=True)
class Intent:
    kind: str
    topic: str = ""  # what a timeline is of


def intent_of(question: str) -> Intent | None:
    """The intent a question asks for, or None for an ordinary question of fact."""
    for kind, pattern in _PATTERNS:
        match = pattern.match(question)
        if match:
            topic = (match.groupdict().get("topic") or match.groupdict().get("topic2") or "").strip()
            return Intent(kind, topic)
    return None


class Digest:
    """The newest posts, an overview, or a timeline: passages in order, each with its first sentence."""

    def __init__(self, corpus: ChunkCorpus) -> None:
        self._corpus = corpus
        self._split = sentence_splitter()  # not cut after a title: a first sentence stays whole

    def newest_posts(self, as_of: int | None, limit: int) -> list[NodeWithScore]:
        """First chunks of the newest posts: newest page first, in page order within it."""
        published = self._corpus.published
        visible = np.ones(len(published), bool) if as_of is None else (published <= as_of) | (published < 0)
        firsts = [i for i in np.flatnonzero(visible) if "/0@" in self._corpus.ids[i]]
        firsts.sort(key=lambda i: -int(published[i]))
        nodes = self._fetch([self._corpus.ids[i] for i in firsts[: limit * PAGE_SLACK]])
        # Chunks are stored shortest first, not in page order: the post's place says that.
        nodes.sort(key=lambda n: (-_published(n), n.node.metadata.get("article_id", ""),
                                  n.node.metadata.get("post_index", 0)))
        return nodes[:limit]

    def text(self, kind: str, nodes: list[NodeWithScore]) -> str:
        """One cited line per passage: "Headline: first sentence [n]"; an overview gives the
        first in full and headlines after it; a timeline leads each line with its date."""
        lines = []
        for i, n in enumerate(nodes, 1):
            line = self._line(n)
            if kind == OVERVIEW and i > 1:
                line = _headline(n) or line
            elif kind == TIMELINE and n.node.metadata.get("dated"):
                day = datetime.fromtimestamp(n.node.metadata["published"], tz=UTC).date().isoformat()
                line = f"{day} — {line}"
            lines.append(f"{line} [{i}]")
        return "\n".join(lines)

    def _line(self, node: NodeWithScore) -> str:
        head, first = _headline(node), self.first_sentence(node)
        return f"{head}: {first}" if head and head not in first else first

    def first_sentence(self, node: NodeWithScore) -> str:
        paragraph = node.node.get_content().split("\n\n", 1)[0]
        sentences = self._split(paragraph)
        return (sentences[0] if sentences else paragraph).strip()

    def _fetch(self, ids: list[str]) -> list[NodeWithScore]:
        if not ids:
            return []
        found = self._corpus.collection.get(ids=ids, include=["metadatas", "documents"])
        nodes = {i: metadata_dict_to_node(m, text=d)
                 for i, m, d in zip(found["ids"], found["metadatas"], found["documents"])}
        return [NodeWithScore(node=nodes[i], score=1.0) for i in ids if i in nodes]


def _headline(n: NodeWithScore) -> str:
    return n.node.metadata.get("headline") or n.node.metadata.get("title") or ""


def _published(n: NodeWithScore) -> int:
    return int(n.node.metadata["published"]) if n.node.metadata.get("dated") else -1


def timeline_order(nodes: list[NodeWithScore], topic: str) -> list[NodeWithScore]:
    """Passages about the topic, dated ones oldest first (one per post); undated ones after them."""
    wanted = set(terms(topic))
    seen: set[str] = set()
    unique = []
    for n in nodes:
        post = n.node.metadata.get("post_id", n.node.node_id)
        meta = n.node.metadata
        said = set(terms(f"{meta.get('title', '')} {meta.get('headline', '')} {n.node.get_content()}"))
        if post not in seen and (not wanted or wanted & said):
            seen.add(post)
            unique.append(n)
    dated = sorted((n for n in unique if n.node.metadata.get("dated")),
                   key=lambda n: n.node.metadata["published"])
    return (dated + [n for n in unique if not n.node.metadata.get("dated")])[:MAX_TIMELINE]
