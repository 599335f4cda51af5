"""Ingest: `index build` against the floor (plain SentenceTransformer.encode of the same chunks).

    python -m bench.ingest [--sizes 1000,5000,all] [--light] [--floor-articles 200] [--rebuilds-only]

Per slice of ../shared's news articles: a fresh `python -m index build` (its own process:
chunks per second over the build's own clock, wall time, peak RSS); the floor, measured in
this process on the chunks of a random sample of the slice's articles with the same model
and batch size; then an unchanged rebuild (CLI, and in a process whose model is loaded, as
the bot's /reindex runs it), and one edited article (likewise). The floor is measured
before and after the build and averaged: this machine's speed drifts by 10-20% in minutes.
--light embeds with the one-layer cut of the model (see bench.scale.light_model); the floor
then uses it too.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

from index import build_index
from index.chunking import make_splitter, post_documents
from index.config import Config
from index.documents import load_corpus
from index.embedding import load_embed_model, load_tokenizer, model_path

from .common import RESULTS, table, write_json
from .scale import edit_one, index_model, run_measured, scale_config


class Floor:
    """Plain encode() of the chunks of a random sample of the slice's articles.

    Sampled, chunked and loaded once; rate() times the encoding alone, as often as asked.
    """

    def __init__(self, config: Config, n_articles: int) -> None:
        from llama_index.core.schema import MetadataMode
        from sentence_transformers import SentenceTransformer

        articles = load_corpus(config.corpus.path).articles
        sample = random.Random(0).sample(articles, min(n_articles, len(articles)))
        splitter = make_splitter(config.chunking, load_tokenizer(model_path(config.embedding)))
        nodes = splitter([d for a in sample for d in post_documents(a, "floor")])
        self.texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
        self.batch_size = config.embedding.batch_size
        self.model = SentenceTransformer(str(model_path(config.embedding)), device=config.embedding.device)
        self.model.encode(self.texts[:8])  # the first call pays one-off set-up

    def rate(self) -> float:
        """Chunks per second."""
        start = time.perf_counter()
        self.model.encode(self.texts, batch_size=self.batch_size, normalize_embeddings=True)
        return len(self.texts) / (time.perf_counter() - start)


def cli_build(config_file: str) -> tuple[float, int, dict]:
    command = [sys.executable, "-m", "index", "build", "--json", "--config", config_file]
    seconds, rss, out = run_measured(command)
    return seconds, rss, json.loads(out.strip().splitlines()[-1])


def measure_fresh(config: Config, config_file: Path, floor_articles: int) -> dict:
    """A build from nothing, with the floor measured just before and just after it."""
    # The machine's speed drifts by 10-20% over minutes: the floor brackets the build.
    floor = Floor(config, floor_articles)
    before = floor.rate()
    shutil.rmtree(config.chroma.path, ignore_errors=True)
    wall, rss, report = cli_build(str(config_file))
    after = floor.rate()
    rate = report["chunks_embedded"] / report["seconds"]
    return {"articles": report["articles"], "chunks": report["chunks_total"], "fresh_wall_s": wall,
            "fresh_build_s": report["seconds"], "fresh_peak_rss_mb": rss / 2**20,
            "fresh_embedded": report["chunks_embedded"], "build_rate": rate,
            "floor_rate": (before + after) / 2, "floor_before": before, "floor_after": after,
            "floor_chunks": len(floor.texts), "ratio": rate / ((before + after) / 2)}


def measure_read_all(config: Config) -> dict:
    """Reading and hashing every article: a rebuild's cost when no file is known unchanged."""
    from index.build import article_hash, build_signature

    start = time.perf_counter()
    corpus = load_corpus(config.corpus.path)
    signature = build_signature(config)
    for article in corpus.articles:
        article_hash(article, signature)
    return {"read_all_articles": len(corpus.articles), "read_all_s": time.perf_counter() - start}


def measure_rebuilds(config: Config, config_file: Path) -> dict:
    """An unchanged rebuild, then one edited article: as a CLI process, and warm (model loaded)."""
    figures = {}
    wall, rss, report = cli_build(str(config_file))
    figures.update(articles=report["articles"], chunks=report["chunks_total"],
                   unchanged_cli_wall_s=wall, unchanged_build_s=report["seconds"],
                   unchanged_embedded=report["chunks_embedded"], unchanged_peak_rss_mb=rss / 2**20)
    load_embed_model(config.embedding)  # as in the bot's /reindex: the model is loaded already
    figures["unchanged_warm_s"] = build_index(config, progress=False).seconds
    part, original = edit_one(config.corpus.path, f"Edited for the ingest benchmark at {time.time()}.")
    try:
        wall, _, report = cli_build(str(config_file))
        figures.update(edit_cli_wall_s=wall, edit_build_s=report["seconds"],
                       edit_embedded=report["chunks_embedded"])
    finally:
        part.write_bytes(original)
    report = build_index(config, progress=False)  # the revert: one more edited article, warm
    figures.update(edit_warm_s=report.seconds, edit_warm_embedded=report.chunks_embedded)
    return figures


def earlier_rows(name: str) -> list[dict]:
    """Rows written by earlier runs: a run replaces the rows of its own sizes only."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))["rows"] if path.exists() else []


def earlier_row(rows: list[dict], size: str, tag: str) -> dict:
    found = [r for r in rows if r["size"] == size and r["model"] == tag]
    return found[0] if found else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000", help="article counts, comma-separated; 'all' = 26,776")
    parser.add_argument("--light", action="store_true", help="embed with the one-layer model")
    parser.add_argument("--floor-articles", type=int, default=200)
    parser.add_argument("--rebuilds-only", action="store_true",
                        help="keep the index (and any fresh-build figures); measure the rebuilds only")
    parser.add_argument("--read-only", action="store_true",
                        help="only read and hash every article of the slice (needs no index)")
    args = parser.parse_args(argv)
    _, tag = index_model(args.light)
    name = "ingest" + ("-light" if args.light else "")
    command = " ".join(["python -m bench.ingest", *(sys.argv[1:] if argv is None else argv)])
    earlier, rows = earlier_rows(name), []
    for size in args.sizes.split(","):
        config, config_file = scale_config(None if size == "all" else int(size), args.light)
        figures = {"size": size, "model": tag, "command": command}
        if args.read_only:
            figures.update(earlier_row(earlier, size, tag), **measure_read_all(config))
            rows.append(figures)
            continue
        if args.rebuilds_only:
            figures.update(earlier_row(earlier, size, tag), rebuilds_command=command)
        else:
            figures.update(measure_fresh(config, config_file, args.floor_articles))
        figures.update(measure_rebuilds(config, config_file), **measure_read_all(config))
        rows.append(figures)
        print(json.dumps(figures), flush=True)
    print(table(
        ["size", "model", "chunks", "build chunks/s", "floor chunks/s", "ratio", "fresh wall s",
         "peak RSS MB", "unchanged s (CLI wall)", "unchanged s (warm)", "edit s (CLI wall)", "edit s (warm)",
         "read all s"],
        [[r["size"], r["model"]] + [r.get(k, "-") for k in (
            "chunks", "build_rate", "floor_rate", "ratio", "fresh_wall_s", "fresh_peak_rss_mb",
            "unchanged_cli_wall_s", "unchanged_warm_s", "edit_cli_wall_s", "edit_warm_s", "read_all_s")]
         for r in rows]))
    rows += [r for r in earlier if (r["size"], r["model"]) not in {(x["size"], x["model"]) for x in rows}]
    print(f"written: {write_json(name, {'rows': rows})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
