"""Builds killed with SIGKILL at random moments, then finished: is the index exactly a clean build's?

    python -m bench.killbuild [--kills 20] [--articles 120] [--swap 30] [--seed 0]

Real processes (`python -m index build`) over real Chroma. The corpus flips between two states
(A: BBC articles 0..n-1; B: the first `swap` of them gone and `swap` new ones added, one of the rest
edited), so every build has work to do. Each round flips the corpus, starts a build, kills it at a
moment drawn uniformly from the length of an unkilled build, then runs a build to completion and
compares the store with a clean build of that state: every chunk's text and metadata, and the
ledger (article, hash, chunk count, posts).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index.config import config_from_dict
from index.store import Store

from .common import ROOT, SHARED, table, write_config, write_json

NEWS = SHARED / "data" / "news" / "bbc_news.jsonl.gz"
VOLATILE = {"generation", "chunk_generation", "build_id"}  # none today; named so a new one is easy to drop


def articles(n: int) -> list[dict]:
    out = []
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        for line in handle:
            out.append(json.loads(line))
            if len(out) == n:
                break
    return out


def write_state(corpus: Path, rows: list[dict], state: str, n: int, swap: int) -> None:
    chosen = rows[:n] if state == "A" else rows[swap:n + swap]
    if state == "B":
        edited = dict(chosen[0], text=chosen[0].get("text", "") + "\n\nAn added closing paragraph.")
        chosen = [edited, *chosen[1:]]
    (corpus / "wire.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chosen), encoding="utf-8")


def build(config: Path, kill_after: float | None = None) -> tuple[int, float]:
    """Run `python -m index build`; SIGKILL it after `kill_after` s. (exit code, seconds)."""
    started = time.monotonic()
    command = [sys.executable, "-m", "index", "build", "--config", str(config), "--no-progress"]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(), time.monotonic() - started


def snapshot(base: Path) -> str:
    """A digest of everything the index holds that a reader could see."""
    raw = {"corpus": {"path": str(base / "corpus")}, "chroma": {"path": str(base / "chroma")}}
    store = Store.open(config_from_dict(raw, base_dir=base).chroma)
    chunks = []
    for _, metas, docs in store.iter_chunks():
        for meta, doc in zip(metas, docs):
            chunks.append(json.dumps([doc, _visible(meta or {})], sort_keys=True))
    ledger = sorted(json.dumps([e.article_id, e.hash, e.chunks, e.posts])
                    for e in store.read_ledger().values())
    return hashlib.sha256("\n".join(sorted(chunks) + ["--"] + ledger).encode()).hexdigest()[:16]


def _visible(meta: dict) -> dict:
    """A chunk's metadata as a reader sees it: without VOLATILE keys, nor the hash of its post's
    document in LlamaIndex's source relationship (an in-place rewrite of a moved post's place
    cannot recompute it; nothing reads it)."""
    out = {k: v for k, v in meta.items() if k not in VOLATILE}
    if isinstance(out.get("_node_content"), str):
        node = json.loads(out["_node_content"])
        for related in (node.get("relationships") or {}).values():
            if isinstance(related, dict):
                related.pop("hash", None)
        out["_node_content"] = json.dumps(node, sort_keys=True)
    return out


def place(rows: list[dict], state: str, n: int, swap: int) -> tuple[Path, Path]:
    base = Path(tempfile.mkdtemp(prefix=f"bench-killbuild-{state}-"))
    (base / "corpus").mkdir()
    write_state(base / "corpus", rows, state, n, swap)
    config = write_config(base / "config.toml", {"corpus": {"path": base / "corpus"},
                                                  "chroma": {"path": base / "chroma"}})
    return base, config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.killbuild", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--swap", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    rows = articles(args.articles + args.swap)
    reference = {}
    for state in "AB":  # clean builds, from nothing
        base, config = place(rows, state, args.articles, args.swap)
        code, _ = build(config)
        assert code == 0, f"the clean build of state {state} failed"
        reference[state] = snapshot(base)
    base, config = place(rows, "A", args.articles, args.swap)
    build(config)
    write_state(base / "corpus", rows, "B", args.articles, args.swap)
    _, flip_seconds = build(config)  # how long an unkilled flip takes: the window to kill in
    state, rounds = "B", []
    for i in range(args.kills):
        state = "A" if state == "B" else "B"
        write_state(base / "corpus", rows, state, args.articles, args.swap)
        moment = rng.uniform(0, flip_seconds)
        code, _ = build(config, kill_after=moment)
        finished, _ = build(config)
        exact = finished == 0 and snapshot(base) == reference[state]
        rounds.append({"round": i + 1, "state": state, "kill_at_s": round(moment, 2), "killed": code == -9,
                       "finish_code": finished, "exact": exact})
        print(f"round {i + 1}: killed at {moment:.1f} s ({'killed' if code == -9 else f'exit {code}'}), "
              f"finished {finished}, exact {exact}", flush=True)
    killed = sum(r["killed"] for r in rounds)
    exact = sum(r["exact"] for r in rounds)
    print(table(["rounds", "killed mid-build", "unkilled flip s", "finished builds exact"],
                [[len(rounds), killed, flip_seconds, f"{exact}/{len(rounds)}"]]))
    command = " ".join(["python -m bench.killbuild", *(sys.argv[1:] if argv is None else argv)])
    path = write_json("killbuild", {"command": command, "flip_s": flip_seconds, "rounds": rounds})
    print(f"written: {path}")
    return 0 if exact == len(rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
