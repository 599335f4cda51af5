"""Incremental, idempotent index builds: embed only what changed, drop what disappeared."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent

from .chunking import SCHEMA_VERSION, make_splitter, metadata_clipper, post_documents
from .config import Config
from .documents import Article, load_corpus
from .embedding import load_embed_model, load_tokenizer, model_path
from .store import LedgerEntry, Store

log = logging.getLogger(__name__)

# Article text per embedding round (~2,500 chunks): enough that LengthOrder finds chunks of
# like length for every batch, small enough that an interruption loses a minute or two.
BATCH_CHARS = 2_000_000


@dataclass
class BuildReport:
    articles: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        text = (f"{self.articles} articles: {self.added} added, {self.updated} updated, "
                f"{self.removed} removed, {self.unchanged} unchanged; "
                f"{self.chunks_embedded} chunks embedded, {self.chunks_total} in the index "
                f"({self.seconds:.1f} s)")
        if self.problems:
            text += f"\n{len(self.problems)} file(s) skipped:\n" + "\n".join(
                f"  - {p}" for p in self.problems)
        return text


def build_index(config: Config, progress: bool = True, store: Store | None = None) -> BuildReport:
    """Bring the store in line with the corpus; safe to run again, and after an interruption."""
    started = time.perf_counter()
    store = store or Store.open(config.chroma)
    store.chunks(create=True)
    ledger = store.read_ledger() if store.exists() else {}
    signature = build_signature(config)
    corpus = load_corpus(config.corpus.path, _known_files(ledger, signature),
                         max_file_bytes=int(config.corpus.max_file_mb * 1_000_000),
                         max_post_chars=config.corpus.max_post_chars)
    kept = {aid for aid, e in ledger.items() if e.file in corpus.not_read}
    wanted = {}
    for a in corpus.articles:
        if a.article_id in kept:  # the same id in a file that was not read again
            corpus.problems.append(f"{a.file}: duplicate article id {a.article_id!r}, skipped")
        else:
            wanted[a.article_id] = (a, article_hash(a, signature))
    gone = [aid for aid in ledger if aid not in wanted and aid not in kept]
    todo = [(a, h) for aid, (a, h) in wanted.items()
            if aid not in ledger or ledger[aid].hash != h]
    report = BuildReport(
        articles=len(wanted) + len(kept), removed=len(gone), problems=corpus.problems,
        updated=sum(1 for a, _ in todo if a.article_id in ledger),
        unchanged=len(wanted) + len(kept) - len(todo))
    report.added = len(todo) - report.updated

    def entry(article: Article, digest: str, chunks: int) -> LedgerEntry:
        return LedgerEntry(article.article_id, digest, article.file, chunks, len(article.posts),
                           article.published, corpus.stamps.get(article.file), signature)

    chunks = {aid: e.chunks for aid, e in ledger.items()}
    if todo:
        embedded = _embed(config, store, todo, entry, progress)
        chunks.update(embedded)
        report.chunks_embedded = sum(embedded.values())
    # Files are stamped only now that every article of theirs is in: a build interrupted
    # halfway through a file must read that file again, not trust its first half.
    final = [entry(a, h, chunks[aid]) for aid, (a, h) in wanted.items() if aid in chunks]
    store.record([e for e in final if e != ledger.get(e.article_id)])
    # Removed articles go last, so that a renamed file's articles are never missing.
    store.forget(gone)
    store.sweep({aid: ledger[aid] for aid in kept} | {e.article_id: e for e in final})
    report.chunks_total = store.count_chunks()
    report.seconds = time.perf_counter() - started
    log.info("build: %s", report.summary())
    return report


def _known_files(ledger: dict[str, LedgerEntry], signature: str) -> Callable[[str, str], bool]:
    """Whether a file is exactly as the ledger saw it, under the same model and chunking."""
    by_file: dict[str, list[LedgerEntry]] = {}
    for e in ledger.values():
        by_file.setdefault(e.file, []).append(e)

    def known(file: str, stamp: str) -> bool:
        entries = by_file.get(file, ())
        return bool(entries) and all(e.stamp == stamp and e.signature == signature for e in entries)
    return known


def _embed(config: Config, store: Store, todo: list[tuple[Article, str]],
           entry: Callable[[Article, str, int], LedgerEntry], progress: bool) -> dict[str, int]:
    """Chunk, embed and store these articles; their chunk counts. Ledger rows go unstamped."""
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.vector_stores.chroma import ChromaVectorStore

    embed_model = load_embed_model(config.embedding)
    tokenizer = load_tokenizer(model_path(config.embedding))
    splitter = make_splitter(config.chunking, tokenizer)
    clip = metadata_clipper(tokenizer, config.chunking)
    # No docstore: the store's own ledger decides what to skip (see Store), so the
    # pipeline only splits and embeds; the chunks are written here, in batches Chroma takes.
    pipeline = IngestionPipeline(transformations=[splitter, LengthOrder(), embed_model])
    vector_store = ChromaVectorStore(chroma_collection=store.chunks(create=True))
    limit = store.max_batch()
    embedded: dict[str, int] = {}
    bar = _progress_bar(sum(len(a.posts) for a, _ in todo), progress)
    for batch in _batches(todo, limit):
        # The new generation of chunks (their ids carry the article hash) is written beside
        # the old, which goes only once the ledger names the new: answers never see a gap,
        # a failed round leaves the old chunks live, and a rerun after an interruption
        # writes exactly the same ids (Chroma's add skips those already there).
        nodes = pipeline.run(documents=[d for a, h in batch for d in post_documents(a, h, clip)])
        for start in range(0, len(nodes), limit):
            vector_store.add(nodes[start:start + limit])
        counts = Counter(n.metadata["article_id"] for n in nodes)
        store.record([replace(entry(a, h, counts[a.article_id]), stamp=None) for a, h in batch])
        store.drop_older({a.article_id: h for a, h in batch})
        embedded.update((a.article_id, counts[a.article_id]) for a, _ in batch)
        bar.update(sum(len(a.posts) for a, _ in batch))
    bar.close()
    return embedded


class LengthOrder(TransformComponent):
    """Chunks shortest first, so that each embedding batch holds chunks of like length.

    sentence-transformers sorts by length only within one encode() call, and LlamaIndex
    calls it once per embed_batch_size chunks in document order: short last chunks of
    posts would otherwise pad whole batches of full ones.
    """

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        return sorted(nodes, key=lambda n: len(n.get_content(metadata_mode=MetadataMode.EMBED)))


def _batches(todo: list[tuple[Article, str]], max_posts: int) -> Iterator[list[tuple[Article, str]]]:
    """Rounds of about BATCH_CHARS of text and at most max_posts posts (so articles, too)."""
    batch, size, posts = [], 0, 0
    for item in todo:
        if batch and posts + len(item[0].posts) > max_posts:
            yield batch
            batch, size, posts = [], 0, 0
        batch.append(item)
        size += sum(len(p.text) for p in item[0].posts)
        posts += len(item[0].posts)
        if size >= BATCH_CHARS:
            yield batch
            batch, size, posts = [], 0, 0
    if batch:
        yield batch


def _progress_bar(total: int, enabled: bool):  # noqa: ANN202 - a tqdm bar
    from tqdm import tqdm

    return tqdm(total=total, unit="post", desc="embedding", disable=not enabled or total < 50)


def build_signature(config: Config) -> str:
    """What, besides an article's text, decides its chunks and vectors."""
    path = model_path(config.embedding)
    weights = sorted((p.name, p.stat().st_size) for p in Path(path).glob("*.safetensors"))
    parts = [SCHEMA_VERSION, (path / "config.json").read_text(encoding="utf-8"), str(weights),
             str(config.chunking.chunk_size), str(config.chunking.chunk_overlap)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def article_hash(article: Article, signature: str) -> str:
    return hashlib.sha256(f"{article.fingerprint}:{signature}".encode()).hexdigest()[:16]
