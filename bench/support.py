"""Calibrates the LLM citation check's support thresholds on the chat dev set's tuning stories.

    python -m bench.support [--words 0.3,0.4,...] [--similarity 0.6,0.65,...]

For every answerable question of uvalde, coronavirus and floyd (../shared/eval/chat), the gold
passage is the indexed chunk of that story that contains the question's `support`, and its gold
sentence the sentence there that contains it. Pairs (sentence, cited passage):

  supported (what a model writes from the right passage, approximated without a model):
    quote      the gold sentence, cited to its passage
    clause     the support span alone, cut to whole words (a compressed clause of it)
    echo       the question turned into a statement with the expected fact ("19 children were
               killed in the school"), the way answers reuse the question's words, which in
               `synonym` questions are not the passage's
  unsupported:
    elsewhere  the gold sentence (or the echo) cited to the passage of the same story most like
               it in words that holds neither the support, the sentence, nor the expected fact
    number     the gold sentence with a figure changed, cited to its own passage
    name       the gold sentence with a name swapped for another name of the story

Each pair is scored once (numbers agree, names agree, shared-word share, best embedding cosine
with a passage sentence); the tables then apply every threshold pair, with and without the
names rule. Read from ../shared at run time; nothing of it is written into the repository.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from dataclasses import dataclass

from llama_index.core.schema import NodeWithScore
from llama_index.core.vector_stores.utils import metadata_dict_to_node

from index import Engine
from index.answerers.checking import (
    CitationChecker,
    names_agree,
    numbers_agree,
    support_text,
    word_share,
)
from index.config import config_from_dict
from index.store import Store
from index.terms import terms

from . import chat
from .common import table

STORY_PAGES = {  # the tuning stories' pages, from ../shared/eval/chat/README.md
    "uvalde": ("000369", "006777", "006977"),
    "coronavirus": ("013063", "022045", "004526", "026752"),
    "floyd": ("013783",),
}
SUPPORTED = ("quote", "clause", "echo")
UNSUPPORTED = ("elsewhere", "elsewhere (echo)", "number", "name")
_WH = re.compile(r"^\s*(how many|how much|how long|how old|what|who|whom|when|where|which|why|how)\s+"
                 r"((did|does|do|was|were|is|are|has|have|had|will|would|can|could)\s+)?", re.I)
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"(?<![\w.])[A-Z][a-z]{2,}")


@dataclass
class Pair:
    kind: str
    numbers: bool
    names: bool
    share: float
    similarity: float

    def accepted(self, words: float, similarity: float, names_rule: bool) -> bool:
        if not self.numbers or (names_rule and not self.names):
            return False
        return self.share >= words or self.similarity >= similarity


def passages(engine: Engine) -> dict[str, list[NodeWithScore]]:
    """The indexed chunks of each tuning story, as the checker gets them."""
    ids = {f"rtqa-gcs-{n}": story for story, pages in STORY_PAGES.items() for n in pages}
    out: dict[str, list[NodeWithScore]] = defaultdict(list)
    for _, metas, docs in Store.open(engine.config.chroma).iter_chunks():
        for meta, doc in zip(metas, docs):
            if meta.get("article_id") in ids:
                out[ids[meta["article_id"]]].append(NodeWithScore(node=metadata_dict_to_node(meta, text=doc),
                                                                  score=1.0))
    return out


def echo(question: str, value: str) -> str:
    """"How many children were killed?" + "19" -> "19 children were killed." (crude, on purpose)."""
    rest = _WH.sub("", question).rstrip(" ?")
    return f"{value} {rest}."


def swap_number(sentence: str, text: str) -> str | None:
    for match in _FIGURE.finditer(sentence):
        value = match.group(0).replace(",", "")
        if "." in value:
            continue
        for other in (int(value) + 1, int(value) * 2 + 3, int(value) + 10):
            if not re.search(rf"(?<![\d,]){other}(?![\d,])", text.replace(",", "")):
                return sentence[: match.start()] + str(other) + sentence[match.end():]
    return None


def swap_name(sentence: str, text: str, story_names: list[str]) -> str | None:
    names = [n for n in _NAME.findall(sentence)[1:] if n.lower() in text.lower()] if sentence else []
    for name in names:
        for other in story_names:
            if other != name and other.lower() not in text.lower():
                return re.sub(rf"\b{re.escape(name)}\b", other, sentence)
    return None


def gold(nodes: list[NodeWithScore], support: str, checker: CitationChecker
         ) -> tuple[NodeWithScore, str] | None:
    for node in nodes:
        if chat.norm(support) in chat.norm(node.node.get_content()):
            for sentence in checker.sentences(node.node.get_content()):
                if chat.norm(support) in chat.norm(sentence):
                    return node, sentence
    return None


def elsewhere(nodes: list[NodeWithScore], sentence: str, support: str,
              expect: list[str]) -> NodeWithScore | None:
    """The passage most like the sentence in words that holds neither it, the support nor the fact."""
    def apart(node: NodeWithScore) -> bool:
        body = chat.norm(node.node.get_content())
        return (chat.norm(support) not in body and chat.norm(sentence[:60]) not in body
                and not any(chat.has_fact(body, e) for e in expect))
    others = [n for n in nodes if apart(n)]
    return max(others, key=lambda n: word_share(sentence, support_text(n)) or 0.0, default=None)


def score(checker: CitationChecker, kind: str, sentence: str, node: NodeWithScore) -> Pair:
    text = support_text(node)
    return Pair(kind, numbers_agree(sentence, text), names_agree(sentence, text),
                word_share(sentence, text) or 0.0, checker.similarity(sentence, node))


def pairs(engine: Engine) -> list[Pair]:
    checker = engine.citation_checker()
    stories = passages(engine)
    names = {story: sorted({n for node in nodes for n in _NAME.findall(node.node.get_content())
                            if len(terms(n)) == 1}) for story, nodes in stories.items()}
    out: list[Pair] = []
    for case in chat.cases():
        if case.story not in STORY_PAGES or not case.answerable or case.followup:
            continue
        q = case.turns[0]
        found = gold(stories[case.story], q["support"], checker)
        if found is None:
            continue
        node, sentence = found
        text = support_text(node)
        clause = " ".join(q["support"].split()[1:-1]) + "."  # whole words only
        said = echo(q["question"], q["expect_any"][0])
        made = [("quote", sentence, node), ("clause", clause, node), ("echo", said, node)]
        other = elsewhere(stories[case.story], sentence, q["support"], q["expect_any"])
        if other is not None:
            made += [("elsewhere", sentence, other), ("elsewhere (echo)", said, other)]
        for kind, changed in (("number", swap_number(sentence, text)),
                              ("name", swap_name(sentence, text, names[case.story]))):
            if changed:
                made.append((kind, changed, node))
        out += [score(checker, kind, s, n) for kind, s, n in made]
    return out


def rates(found: list[Pair], words: float, similarity: float, names_rule: bool) -> dict[str, float]:
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for pair in found:
        by_kind[pair.kind].append(pair.accepted(words, similarity, names_rule))
    return {kind: sum(v) / len(v) for kind, v in by_kind.items()}


def report(found: list[Pair], words: list[float], similarities: list[float]) -> str:
    counts = defaultdict(int)
    for pair in found:
        counts[pair.kind] += 1
    head = ["names rule", "words", "similarity", *(f"{k} ({counts[k]})" for k in SUPPORTED),
            *(f"{k} ({counts[k]})" for k in UNSUPPORTED), "supported kept", "false support"]
    rows = []
    for names_rule in (False, True):
        for w in words:
            for s in similarities:
                r = rates(found, w, s, names_rule)
                kept = sum(r.get(k, 0) for k in SUPPORTED) / len(SUPPORTED)
                false = sum(r.get(k, 0) for k in UNSUPPORTED) / len(UNSUPPORTED)
                rows.append(["on" if names_rule else "off", w, s,
                             *(f"{r.get(k, 0):.2f}" for k in SUPPORTED + UNSUPPORTED),
                             f"{kept:.2f}", f"{false:.2f}"])
    return ("Accepted share per kind of pair (supported: higher is better; unsupported: lower), "
            "the last two columns the means over kinds\n\n" + table(head, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.support", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--words", default="0.4,0.5,0.6,0.7,0.8")
    parser.add_argument("--similarity", default="0.6,0.7,0.8,0.9,1.01")
    args = parser.parse_args(argv)
    config = config_from_dict({"corpus": {"path": str(chat.corpus())},
                               "chroma": {"path": str(chat.cache_dir() / "chroma")}},
                              base_dir=chat.cache_dir())
    found = pairs(Engine(config))
    print(report(found, [float(x) for x in args.words.split(",")],
                 [float(x) for x in args.similarity.split(",")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
