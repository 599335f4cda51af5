"""RealTime QA as the engine sees it: questions by split, the corpus in a cache, and per-question scores."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from index import Answer
from index.cli import parse_as_of

from .common import SHARED, read_jsonl, summary

DATA = SHARED / "eval" / "realtimeqa"
CONTEXTS = DATA / "contexts.jsonl"
TEST_FROM = "2024"  # question_date 2024 and later is held out
MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answers: tuple[str, ...]
    gold: frozenset[str]  # context ids
    answer_in_context: bool
    as_of: int


def questions(split: str) -> list[Question]:
    """The split's questions that have a gold passage (the only ones the metrics use)."""
    out = []
    for q in read_jsonl(DATA / "qa.jsonl"):
        dev = q["question_date"] < TEST_FROM
        gold = q.get("context_ids") or ([q["context_id"]] if q.get("context_id") else [])
        if gold and dev == (split == "dev"):
            out.append(Question(q["id"], q["question"], tuple(q["answers"]), frozenset(gold),
                                bool(q.get("answer_in_context")), parse_as_of(q["question_date"])))
    return out


def cache_dir() -> Path:
    """Derived data (indexes, the gold-removed corpus) lives outside the project."""
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "coverage-bot" / "realtimeqa"


def full_corpus() -> Path:
    """A folder holding just contexts.jsonl (a link to ../shared, not a copy)."""
    folder = cache_dir() / "corpus-full"
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / CONTEXTS.name
    if not link.exists():
        link.symlink_to(CONTEXTS)
    return folder


def removed_corpus(name: str, removed: set[str]) -> Path:
    """contexts.jsonl without the given passages (the split's answerable questions' gold)."""
    folder = cache_dir() / f"corpus-{name}-gold-removed"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [line for line in CONTEXTS.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["id"] not in removed]
    target = folder / CONTEXTS.name
    text = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return folder


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation or thousands separators; single spaces."""
    text = re.sub(r"[’‘'`´]", " ", text)  # "Kentucky’s" holds "Kentucky"
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return " ".join(w for w in text.split() if w not in {"a", "an", "the"})


def contains(answer_text: str, golds: tuple[str, ...]) -> bool:
    said = f" {normalise(MARKER.sub(' ', answer_text))} "
    return any(normalise(g) and f" {normalise(g)} " in said for g in golds)


def article_of(post_id: str) -> str:
    return post_id.split("#", 1)[0]


def rank_of_gold(retrieved: list[str], gold: frozenset[str]) -> int | None:
    """1-based rank of the first gold passage among retrieved post ids, or None."""
    for rank, post_id in enumerate(retrieved, 1):
        if article_of(post_id) in gold:
            return rank
    return None


def answer_chars(answer: Answer) -> int:
    """How long the answer reads, without its markers."""
    return len(" ".join(MARKER.sub(" ", answer.text).split()))


def markers_valid(answer: Answer) -> tuple[int, int]:
    """(valid markers, markers): a marker is valid when it names a shown source."""
    found = [int(n) for n in MARKER.findall(answer.text)]
    return sum(1 <= n <= len(answer.citations) for n in found), len(found)


@dataclass
class Tally:
    """Sums for one system on one split; `row()` turns them into the reported figures."""

    asked: int = 0
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    answerable: int = 0
    contained: int = 0
    first_gold: int = 0
    abstained: int = 0  # of the answerable: false abstentions when their gold is in the index
    markers: int = 0
    markers_ok: int = 0
    seconds: list[float] = field(default_factory=list)
    chars: list[int] = field(default_factory=list)  # answer lengths: containment rises with them

    def retrieval(self, retrieved: list[str], gold: frozenset[str]) -> int | None:
        """Count one ranking; returns the gold passage's rank (None when it is missing)."""
        self.asked += 1
        rank = rank_of_gold(retrieved, gold)
        self.hit1 += rank == 1
        self.hit5 += rank is not None and rank <= 5
        self.rr += 1.0 / rank if rank else 0.0
        return rank

    def answer(self, q: Question, answer: Answer) -> None:
        ok, total = markers_valid(answer)
        self.markers_ok, self.markers = self.markers_ok + ok, self.markers + total
        if not q.answer_in_context:
            return
        self.answerable += 1
        self.abstained += answer.abstained
        if not answer.abstained:
            self.chars.append(answer_chars(answer))
        self.contained += (not answer.abstained) and contains(answer.text, q.answers)
        self.first_gold += bool(answer.citations) and article_of(answer.citations[0].post_id) in q.gold

    def row(self) -> dict[str, float | int | None]:
        def share(part: float, whole: int) -> float | None:
            return part / whole if whole else None
        times = summary(self.seconds) if self.seconds else {}
        return {
            "questions": self.asked, "hit@1": share(self.hit1, self.asked),
            "hit@5": share(self.hit5, self.asked), "mrr": share(self.rr, self.asked),
            "answerable": self.answerable, "containment": share(self.contained, self.answerable),
            "[1] gold": share(self.first_gold, self.answerable),
            "false abstention": share(self.abstained, self.answerable),
            "markers valid": share(self.markers_ok, self.markers),
            "answer chars": summary(self.chars)["median"] if self.chars else None,
            "median s": times.get("median"), "p95 s": times.get("p95"),
        }
