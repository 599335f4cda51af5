"""Query: warm answer() latency against the floor, engine start and memory, at several index sizes.

    python -m bench.query [--sizes 1000,all] [--light] [--questions 300] [--server]

Uses the indexes bench.ingest built (same --sizes and --light). Each measurement runs in a
fresh process: the BM25 side alone (read from Chroma and indexed: seconds and RSS it adds;
then saved), the saved BM25 side loaded as an engine start does, then the engine (start
seconds with the saved BM25 side, peak RSS) answering RealTime QA questions, each question
timed twice in the same process: answer(), and the floor, one query embedding plus one
Chroma k-NN query of the same depth. --server repeats the engine run through `chroma run` on a loopback port.
Questions are always embedded with the full model, as in production; a --light index only
has vectors written by the cut model (search cost depends on their number, not their origin).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time

import numpy as np

from .common import SHARED, memory_mb, read_jsonl, summary, table, write_config, write_json
from .loopback import chroma_server
from .scale import index_model, run_measured, scale_config, size_label


def child_bm25(config_file: str) -> dict:
    """The BM25 side read from Chroma and indexed, then saved where the engine looks for it."""
    from index import load_config
    from index.bm25 import ChunkCorpus
    from index.store import Store

    config = load_config(config_file)
    store = Store.open(config.chroma)
    gc.collect()
    before, start = memory_mb()["rss_mb"], time.perf_counter()
    corpus = ChunkCorpus.read(store)
    figures = {"chunks": len(corpus), "bm25_build_s": time.perf_counter() - start,
               "bm25_rss_mb": memory_mb()["rss_mb"] - before}
    start = time.perf_counter()
    corpus.save(ChunkCorpus.saved_path(store, config.chroma.keyword_cache))
    figures["bm25_save_s"] = time.perf_counter() - start
    return figures


def child_bm25_load(config_file: str) -> dict:
    """The saved BM25 side loaded, as every engine start after the first does."""
    from index import load_config
    from index.bm25 import ChunkCorpus
    from index.store import Store

    config = load_config(config_file)
    store = Store.open(config.chroma)
    store.count_chunks()
    gc.collect()
    before, start = memory_mb()["rss_mb"], time.perf_counter()
    corpus = ChunkCorpus.open(store, config.chroma.keyword_cache)
    return {"bm25_load_s": time.perf_counter() - start, "bm25_loaded_rss_mb": memory_mb()["rss_mb"] - before,
            "bm25_loaded_from_cache": isinstance(corpus.bm25.scores["data"], np.memmap)}


def child_answer(config_file: str, n_questions: int) -> dict:
    from index import Engine, load_config
    from index.store import Store

    questions = [q["question"] for q in read_jsonl(SHARED / "eval" / "realtimeqa" / "qa.jsonl")]
    # Three extra questions warm the engine up: never the timed ones, whose sentences
    # would then be remembered.
    questions = random.Random(0).sample(questions, n_questions + 3)
    warm, questions = questions[:3], questions[3:]
    config = load_config(config_file)
    before, start = memory_mb()["rss_mb"], time.perf_counter()
    engine = Engine(config)
    figures = {"engine_start_s": time.perf_counter() - start, "engine_rss_mb": memory_mb()["rss_mb"] - before}
    collection = Store.open(config.chroma).chunks()  # the floor's own k-NN, same collection
    for q in warm:
        engine.answer(q)
    answer_s, floor_s = [], []
    for q in questions:
        start = time.perf_counter()
        vector = engine.embed_model.get_query_embedding(q)
        collection.query(query_embeddings=[vector], n_results=config.retrieval.vector_top_k)
        floor_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine.answer(q)
        answer_s.append(time.perf_counter() - start)
    answer, floor = summary(answer_s), summary(floor_s)
    figures.update(answer=answer, floor=floor, p50_ratio=answer["median"] / floor["median"],
                   p95_ratio=answer["p95"] / floor["p95"], **memory_mb())
    return figures


def run_child(*args: str) -> dict:
    _, _, out = run_measured([sys.executable, "-m", "bench.query", "--child", *args])
    return json.loads(out.strip().splitlines()[-1])


def measure(n: int | None, light: bool, n_questions: int, server: bool) -> dict:
    config, embedded = scale_config(n, light, query_model=True)
    figures = {"size": size_label(n), "index_model": index_model(light)[1]}
    figures.update(run_child("bm25", str(embedded)))
    figures.update(run_child("bm25-load", str(embedded)))
    figures["embedded"] = run_child("answer", str(embedded), str(n_questions))
    if server:
        with chroma_server(config.chroma.path) as port:
            remote = write_config(embedded.with_name("query-server.toml"), {
                "corpus": {"path": config.corpus.path}, "chroma": {"host": "127.0.0.1", "port": port}})
            figures["server"] = run_child("answer", str(remote), str(n_questions))
    return figures


def rows_of(results: list[dict]) -> list[list]:
    rows = []
    for r in results:
        for mode in ("embedded", "server"):
            if mode in r:
                m = r[mode]
                rows.append([r["chunks"], mode, m["answer"]["median"], m["floor"]["median"], m["p50_ratio"],
                             m["answer"]["p95"], m["floor"]["p95"], m["p95_ratio"], m["engine_start_s"],
                             m["peak_rss_mb"], r["bm25_build_s"], r["bm25_rss_mb"], r["bm25_load_s"]])
    return rows


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        kind, *rest = argv[1:]
        children = {"bm25": child_bm25, "bm25-load": child_bm25_load,
                    "answer": lambda path, n: child_answer(path, int(n))}
        figures = children[kind](*rest)
        print(json.dumps(figures))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.query", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="article counts of bench.ingest's slices, or 'all'")
    parser.add_argument("--light", action="store_true", help="the indexes bench.ingest --light built")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--server", action="store_true", help="also through a Chroma server")
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes.split(","):
        results.append(measure(None if size == "all" else int(size), args.light, args.questions, args.server))
        print(json.dumps(results[-1]), flush=True)
    print(table(["chunks", "chroma", "answer p50 s", "floor p50 s", "p50 ratio", "answer p95 s",
                 "floor p95 s", "p95 ratio", "engine start s", "peak RSS MB", "BM25 build s",
                 "BM25 RSS MB", "BM25 load s"], rows_of(results)))
    name = "query" + ("-light" if args.light else "")
    command = " ".join(["python -m bench.query", *argv])
    print(f"written: {write_json(name, {'command': command, 'rows': results})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
