"""Fit the picker's sentence ranking (index/ranking.py) on which candidate sentences hold the answer.

    python -m bench.rerank            # collect the candidates (cached), fit, compare with the hand mix
    python -m bench.rerank --refit    # fit again from the cached candidates

Training questions: the chat dev set's tuning stories (single questions and follow-up turns; the
scoring stories are never read) and a RealTime QA dev sample taken between bench.eval's sample400
questions, so that sample stays a check. A candidate is positive when what the picker would quote
holds the expected fact (and, for the chat set, its passage holds the support). The model is
logistic over index.ranking.FEATURES, fitted on two losses at once: listwise (the answer
against the other candidates of its question) for the ranking, pointwise for a calibrated scale.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from index import Engine, build_index
from index import answer as picker
from index.config import config_from_dict
from index.ranking import FEATURES, hand_score, rank_score

from . import chat
from . import realtimeqa as rq
from .eval import eval_config

CACHE = chat.cache_dir().parent / "rerank-candidates.json"


class Recorder:
    """Keeps the last question's candidates. It wraps the picker's scoring step because the
    engine returns only the best sentence's signals, and the fit needs every candidate's."""

    def __init__(self) -> None:
        self.last: list = []
        original = picker.SentenceSynthesizer._score

        def spy(synth, query, nodes):  # noqa: ANN001, ANN202
            self.last = original(synth, query, nodes)
            return self.last
        picker.SentenceSynthesizer._score = spy

    def take(self, engine: Engine, labels) -> dict | None:  # noqa: ANN001
        """Features and labels of the candidates, or None when the question had none."""
        limit = engine.config.answer.quote_paragraph_chars
        rows = [(picker.features(c), bool(labels(c.paragraph if len(c.paragraph) <= limit else c.sentence,
                                                  c.node.node.get_content())))
                for c in self.last]
        self.last = []
        if not rows:
            return None
        return {"x": [[f[k] for k in FEATURES] for f, _ in rows], "y": [y for _, y in rows]}


def chat_questions(recorder: Recorder) -> list[dict]:
    config = config_from_dict({"corpus": {"path": str(chat.corpus())},
                               "chroma": {"path": str(chat.cache_dir() / "chroma")}},
                              base_dir=chat.cache_dir())
    build_index(config, progress=False)
    engine = Engine(config)
    out = []
    for case in chat.cases():
        if case.part != "tune" or not case.answerable:
            continue
        history: list = []
        for turn in case.turns:
            history.append(engine.answer(turn["question"], history=history, as_of=case.as_of))
            support = chat.norm(turn["support"])
            row = recorder.take(engine, lambda quote, passage, t=turn, s=support: (
                any(chat.has_fact(quote, e) for e in t["expect_any"]) and s in chat.norm(passage)))
            if row:
                out.append(row | {"source": "chat"})
    return out


def realtimeqa_questions(recorder: Recorder, count: int) -> list[dict]:
    dev = rq.questions("dev")
    used = {q.id for q in dev[:: len(dev) // 400][:400]}  # bench.eval's sample400
    answerable = [q for q in dev if q.answer_in_context]
    step = max(1, len(answerable) // count)
    qs = [q for q in answerable if q.id not in used][::step][:count]
    engine = Engine(eval_config(rq.full_corpus(), "chroma-full", {}))
    out = []
    for q in qs:
        engine.answer(q.question, as_of=q.as_of)
        row = recorder.take(engine, lambda quote, passage, q=q: rq.contains(quote, q.answers))
        if row:
            out.append(row | {"source": "realtimeqa"})
    return out


def fit(groups: list[dict], steps: int = 3000, l2: float = 1e-3) -> np.ndarray:
    """Weights then bias; each source weighs the same, each question within it the same."""
    sources = {g["source"] for g in groups}
    share = {s: 1.0 / sum(g["source"] == s for g in groups) / len(sources) for s in sources}
    w = np.zeros(len(FEATURES) + 1)
    data = [(np.c_[np.asarray(g["x"]), np.ones(len(g["x"]))], np.asarray(g["y"], float), share[g["source"]])
            for g in groups]
    for _ in range(steps):
        grad = np.zeros_like(w)
        for x, y, weight in data:
            z = x @ w
            p = 1 / (1 + np.exp(-z))
            grad += weight * x.T @ (y - p) / len(y)  # pointwise: the scale
            if y.any():  # listwise: the answer's share of its question's softmax
                soft = np.exp(z - z.max())
                soft /= soft.sum()
                target = y / y.sum()
                grad += weight * x.T @ (target - soft)
        w += 0.5 * (grad - l2 * np.r_[w[:-1], 0.0])
    return w


def top1(groups: list[dict], score) -> dict[str, float]:  # noqa: ANN001
    """Per source: the share of questions with an answer among candidates whose top one is one."""
    out: dict[str, list[bool]] = {}
    for g in groups:
        if not any(g["y"]):
            continue
        scores = [score(dict(zip(FEATURES, x))) for x in g["x"]]
        out.setdefault(g["source"], []).append(bool(g["y"][int(np.argmax(scores))]))
    return {s: round(float(np.mean(v)), 3) for s, v in out.items()} | {
        f"{s} n": len(v) for s, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rerank", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--refit", action="store_true", help="fit from the cached candidates")
    parser.add_argument("--realtimeqa", type=int, default=400, help="RealTime QA dev questions")
    args = parser.parse_args(argv)
    if not (args.refit and CACHE.exists()):
        recorder = Recorder()
        groups = chat_questions(recorder) + realtimeqa_questions(recorder, args.realtimeqa)
        CACHE.write_text(json.dumps({"features": FEATURES, "groups": groups}), encoding="utf-8")
    cached = json.loads(CACHE.read_text(encoding="utf-8"))
    if tuple(cached["features"]) != FEATURES:
        raise SystemExit(f"{CACHE} holds other features: run without --refit")
    groups = cached["groups"]
    w = fit(groups)
    weights, bias = dict(zip(FEATURES, (round(float(v), 3) for v in w[:-1]))), round(float(w[-1]), 3)
    print("WEIGHTS =", weights)
    print("BIAS =", bias)
    print("top-1, hand mix:", top1(groups, hand_score))
    print("top-1, fitted:  ", top1(groups, lambda f: rank_score(f, weights, bias)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
