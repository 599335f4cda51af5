"""The chat dev set (../shared/eval/chat): its corpus in a cache, the tuning/scoring split, its scoring.

The stories are split in two: the engine is tuned on TUNE_STORIES only, and SCORE_STORIES are
scored but never looked at while tuning, as a stand-in for the next story the bot will meet.
The off-topic questions (story "other") alternate between the two parts.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from index import Answer
from index.cli import parse_as_of

from .common import SHARED, read_jsonl, summary
from .realtimeqa import MARKER, answer_chars
from .realtimeqa import cache_dir as rq_cache

CHAT = SHARED / "eval" / "chat"
NEWS = SHARED / "data" / "news"
TUNE_STORIES = ("uvalde", "coronavirus", "floyd")
SCORE_STORIES = ("ukraine", "highland_park", "inauguration")
PARTS = ("tune", "score")
_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'",
                         "“": '"', "”": '"', "„": '"', "‟": '"'})


def cache_dir() -> Path:
    return rq_cache().parent / "chat"


def corpus() -> Path:
    """A folder holding the set's 61 articles as one JSONL, read from ../shared (a cache, not a copy)."""
    folder = cache_dir() / "corpus"
    target = folder / "chat.jsonl"
    if target.exists():
        return folder
    wanted = set((CHAT / "articles.txt").read_text(encoding="utf-8").split())
    found: dict[str, dict] = {}
    for part in sorted(NEWS.glob("realtimeqa_articles-0[0-4].jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["id"] in wanted:
                    found[record["id"]] = {k: record.get(k) for k in ("id", "title", "date", "url", "text")}
    missing = wanted - found.keys()
    if missing:
        raise SystemExit(f"chat corpus: {len(missing)} ids not in {NEWS}: {sorted(missing)[:3]} ...")
    folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(found[i]) + "\n" for i in sorted(found)), encoding="utf-8")
    tmp.replace(target)
    return folder


def norm(text: str) -> str:
    """The set's normalisation: lower case, straight quotes, no thousands commas."""
    text = text.lower().translate(_QUOTES)
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def has_fact(text: str, value: str) -> bool:
    v = re.escape(norm(value).strip())
    return re.search(rf"(?<![a-z0-9]){v}(?![a-z0-9])", norm(text)) is not None


def part_of(story: str, case_id: str) -> str:
    if story == "other":
        return PARTS[int(re.sub(r"\D", "", case_id) or 0) % 2]
    return "tune" if story in TUNE_STORIES else "score"


def answer_correct(answer: Answer, expect_any: list[str], support: str) -> bool:
    """The fact in the answer, the support in a cited passage, and every [n] a shown source."""
    if answer.abstained:
        return False
    markers = [int(n) for n in MARKER.findall(answer.text)]
    if any(not 1 <= n <= len(answer.citations) for n in markers):
        return False
    body = MARKER.sub(" ", answer.text)
    return (any(has_fact(body, e) for e in expect_any)
            and any(norm(support) in norm(c.text) for c in answer.citations))


def abstained_cleanly(answer: Answer) -> bool:
    return answer.abstained and not answer.citations and not MARKER.search(answer.text)


@dataclass
class Case:
    id: str
    story: str
    part: str
    tags: tuple[str, ...]
    turns: list[dict]  # question, expect_any, support (one turn for a single question)
    as_of: int | None
    answerable: bool = True
    group: str | None = None

    @property
    def followup(self) -> bool:
        return len(self.turns) > 1


def cases() -> list[Case]:
    out = []
    for q in read_jsonl(CHAT / "questions.jsonl"):
        out.append(Case(q["id"], q["story"], part_of(q["story"], q["id"]), tuple(q.get("tags", ())),
                        [q], parse_as_of(q.get("as_of")), q["answerable"], q.get("group")))
    for f in read_jsonl(CHAT / "followups.jsonl"):
        out.append(Case(f["id"], f["story"], part_of(f["story"], f["id"]), tuple(f.get("tags", ())),
                        f["turns"], parse_as_of(f.get("as_of"))))
    return out


def categories(case: Case) -> list[str]:
    if case.followup:
        return ["follow-ups"] + (["standalone later turn"] if "standalone_later_turn" in case.tags else [])
    names = ["answerable" if case.answerable else "unanswerable"]
    names += [t for t in case.tags if t in ("synonym", "time", "never_said", "before_first_report",
                                            "other_topic")]
    return names


@dataclass
class Tally:
    """One part's sums; row() gives the reported figures."""

    answerable: int = 0
    correct: int = 0
    false_abstained: int = 0
    unanswerable: int = 0
    abstained: int = 0
    conversations: int = 0
    conversations_right: int = 0
    turns: int = 0
    turns_right: int = 0
    chars: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    groups: dict[str, bool] = field(default_factory=dict)

    def add(self, case: Case, answers: list[Answer], seconds: list[float]) -> list[bool]:
        self.seconds += seconds
        self.chars += [answer_chars(a) for a in answers if not a.abstained]
        if case.followup:
            rights = [answer_correct(a, t["expect_any"], t["support"]) for a, t in zip(answers, case.turns)]
            self.conversations += 1
            self.conversations_right += all(rights)
            self.turns += len(rights)
            self.turns_right += sum(rights)
            return rights
        answer, turn = answers[0], case.turns[0]
        if case.answerable:
            right = answer_correct(answer, turn["expect_any"], turn["support"])
            self.answerable += 1
            self.correct += right
            self.false_abstained += answer.abstained
        else:
            right = abstained_cleanly(answer)
            self.unanswerable += 1
            self.abstained += right
        if case.group:
            self.groups[case.group] = self.groups.get(case.group, True) and right
        return [right]

    def row(self) -> dict[str, float | int | None]:
        def share(part: int, whole: int) -> float | None:
            return round(part / whole, 3) if whole else None
        singles = self.answerable + self.unanswerable
        return {
            "questions": singles,
            "correct": share(self.correct + self.abstained, singles),
            "answerable correct": share(self.correct, self.answerable),
            "false abstention": share(self.false_abstained, self.answerable),
            "abstention (unanswerable)": share(self.abstained, self.unanswerable),
            "time groups": share(sum(self.groups.values()), len(self.groups)),
            "follow-ups": share(self.conversations_right, self.conversations),
            "turns": share(self.turns_right, self.turns),
            "answer chars": summary(self.chars)["median"] if self.chars else None,
            "median s": round(summary(self.seconds)["median"], 3) if self.seconds else None,
        }
