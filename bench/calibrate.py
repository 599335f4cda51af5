"""Fit the answer confidence and its abstention threshold on RealTime QA dev, and check the seed set.

    python -m bench.eval realtimeqa --split dev --sample 400 --min-confidence 0 --no-baselines
    python -m bench.calibrate ~/.cache/coverage-bot/realtimeqa/eval-dev-sample400-records.json

Positives: answerable dev questions asked of the full corpus. Negatives: the same questions asked
with their gold passages removed. A logistic regression over the best sentence's signals gives the
weights (to copy into index/answer.py); the threshold is the one that keeps false abstention at 5%.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from index.answer import confidence

from .common import SHARED, read_jsonl, seed_engine

FEATURES = ("cosine", "coverage", "passage_share", "rank")
FALSE_ABSTENTION = 0.05


def matrix(signals: list[dict], features: tuple[str, ...]) -> np.ndarray:
    return np.array([[s.get(k, 0.0) for k in features] for s in signals])


def fit(pos: np.ndarray, neg: np.ndarray, steps: int = 40000, l2: float = 0.01) -> np.ndarray:
    """Weights (one per feature, then the bias) of a plain logistic regression."""
    x = np.c_[np.vstack([pos, neg]), np.ones(len(pos) + len(neg))]
    y = np.r_[np.ones(len(pos)), np.zeros(len(neg))]
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        w += 0.5 * (x.T @ (y - p) / len(y) - l2 * np.r_[w[:-1], 0.0])
    return w


def seed_signals() -> tuple[list[dict], list[dict]]:
    """The seed questions' signals: (answerable, unanswerable)."""
    engine = seed_engine()
    rows: dict[bool, list[dict]] = {True: [], False: []}
    for case in read_jsonl(SHARED / "eval" / "seed_qa.jsonl"):
        rows[case.get("answerable", True)].append(engine.answer(case["question"]).signals)
    return rows[True], rows[False]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.calibrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="an eval JSON written with --min-confidence 0")
    parser.add_argument("--features", help=f"comma-separated signals (default: {','.join(FEATURES)})")
    args = parser.parse_args(argv)
    features = tuple(args.features.split(",")) if args.features else FEATURES
    result = json.loads(args.results.read_text(encoding="utf-8"))
    pos = [r["signals"] for r in result["records"] if r["answer_in_context"]]
    neg = [r["signals"] for r in result["removed_records"]]
    w = fit(matrix(pos, features), matrix(neg, features))
    weights, bias = dict(zip(features, map(float, w[:-1]))), float(w[-1])

    def scores(signals: list[dict]) -> np.ndarray:  # exactly what the engine computes
        return np.array([confidence(s, weights, bias) for s in signals])

    threshold = float(np.quantile(scores(pos), FALSE_ABSTENTION))
    seed_pos, seed_neg = seed_signals()
    print("weights:", {k: round(v, 3) for k, v in weights.items()}, "bias:", round(bias, 3))
    print(f"threshold for {FALSE_ABSTENTION:.0%} false abstention: {threshold:.3f}")
    print(f"dev abstention with gold removed: {(scores(neg) < threshold).mean():.3f}")
    print(f"seed: answerable lowest {scores(seed_pos).min():.3f}, "
          f"unanswerable highest {scores(seed_neg).max():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
