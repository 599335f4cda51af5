"""Fuzzing the loader: any bytes, any JSON, any front matter is loaded or reported, never raised.

Bounded to run in seconds; FUZZ_EXAMPLES=2000 (say) runs each property that many times.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import time
from pathlib import Path

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from index.chunking import make_splitter, metadata_clipper, post_documents
from index.config import ChunkingConfig, EmbeddingConfig
from index.documents import EARLIEST, FUTURE_SLACK, SUFFIXES, load_corpus
from index.embedding import load_tokenizer, model_path

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None)
CHUNKING = ChunkingConfig()
TOKENIZER = load_tokenizer(model_path(EmbeddingConfig()))
SPLITTER = make_splitter(CHUNKING, TOKENIZER)
CLIP = metadata_clipper(TOKENIZER, CHUNKING)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=300))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
fields = st.sampled_from(["id", "title", "text", "published", "date", "source", "url"])
records = st.one_of(json_values, st.dictionaries(fields, json_values, max_size=7),
                    st.dictionaries(fields, scalars, max_size=7))
meta_values = st.one_of(scalars, st.dates(), st.datetimes(), st.lists(st.text(max_size=20), max_size=3))


def check_loads(folder: Path) -> None:
    """What any corpus must give: usable articles, printable problems, chunks for each article."""
    started = time.monotonic()
    result = load_corpus(folder)
    assert time.monotonic() - started < 30  # a hang guard, generous for a loaded machine
    for problem in result.problems:
        problem.encode("utf-8")
    for article in result.articles:
        assert article.posts and all(p.text.strip() for p in article.posts)
        assert article.fingerprint  # encodable: no lone surrogates anywhere
        if article.published is not None:
            assert EARLIEST <= article.published <= time.time() + FUTURE_SLACK
        SPLITTER.get_nodes_from_documents(post_documents(article, "fuzz", CLIP))


def load_files(files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            (Path(tmp) / name).write_bytes(data)
        check_loads(Path(tmp))


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(SUFFIXES))
@example(b'{"text": "x", "title": "\\ud800"}\n', ".jsonl")
@example(b"---\n" + b"[" * 2000 + b"\n---\nBody.\n", ".md")
@example(b"#\n[](x)", ".md")
def test_any_bytes_in_any_supported_file(data: bytes, suffix: str) -> None:
    if suffix.endswith(".gz") and data[:1] == b"{":
        data = gzip.compress(data)  # half the time a valid gzip stream of the same bytes
    load_files({f"fuzz{suffix}": data})


@FUZZ
@given(st.lists(records, min_size=1, max_size=6))
@example([{"text": "Ok.", "published": float("inf")}, {"text": "Ok.", "published": 10 ** 30}])
@example([{"text": "Ok.", "title": " ".join(["word"] * 400)}])
def test_any_json_records(rows: list) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    load_files({"wire.jsonl": lines.encode("utf-8"), "wire.jsonl.gz": gzip.compress(lines.encode())})


@FUZZ
@given(st.one_of(st.text(max_size=300),
                 st.dictionaries(st.sampled_from(["title", "published", "date", "source", "url", "x"]),
                                 meta_values, max_size=5).map(yaml.safe_dump)),
       st.text(max_size=500), st.sampled_from([".md", ".txt"]))
@example("published: 9999-12-31\ntitle: Far\n", "Text.", ".md")
def test_any_front_matter(front: str, body: str, suffix: str) -> None:
    load_files({f"page{suffix}": f"---\n{front}\n---\n{body}\n".encode("utf-8", "surrogatepass")})
