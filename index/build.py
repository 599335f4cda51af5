"""Incremental, idempotent index builds: embed only what changed, drop what disappeared."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent

from .chunking import (
    SCHEMA_VERSION,
    chunk_id,
    make_splitter,
    metadata_clipper,
    page_metadata,
    post_documents,
    post_hash,
)
from .config import Config
from .documents import Article, load_corpus
from .embedding import load_embed_model, load_tokenizer, model_path
from .store import LedgerEntry, Store

log = logging.getLogger(__name__)

# Article text per embedding round (~2,500 chunks): enough that LengthOrder finds chunks of
# like length for every batch, small enough that an interruption loses a minute or two.
BATCH_CHARS = 2_000_000


@dataclass(frozen=True)
class NewPost:
    """A post whose id the index did not hold before this build: what a follower is told."""

    post_id: str
    article_id: str
    headline: str
    text: str
    title: str | None
    url: str | None
    published: int | None


@dataclass
class BuildReport:
    articles: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    chunks_total: int = 0
    posts_embedded: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    new_posts: list[NewPost] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        text = (f"{self.articles} articles: {self.added} added, {self.updated} updated, "
                f"{self.removed} removed, {self.unchanged} unchanged; "
                f"{self.chunks_embedded} chunks embedded ({self.posts_embedded} posts), "
                f"{self.chunks_total} in the index ({self.seconds:.1f} s)")
        if self.problems:
            text += f"\n{len(self.problems)} file(s) skipped:\n" + "\n".join(
                f"  - {p}" for p in self.problems)
        return text


@dataclass
class Plan:
    """One changed article: the hash of each of its posts, and what the ledger held before."""

    article: Article
    digest: str
    hashes: list[str]
    old: LedgerEntry | None

    @cached_property
    def old_posts(self) -> dict[str, tuple[int, str, int]]:
        """post hash -> (old position, post id, chunks), for the generations now live."""
        layout = self.old.layout if self.old else ()
        return {digest: (i, pid, count) for i, (pid, digest, count) in enumerate(layout)}

    @cached_property
    def to_embed(self) -> set[int]:
        """Positions of the posts whose generation is not in the store: new or changed."""
        return {i for i, h in enumerate(self.hashes) if h not in self.old_posts}

    def new_posts(self, store: Store) -> list[NewPost]:
        """The posts whose id is not on the page as the ledger knew it, nor their text in what
        its chunks said: a page of one post becomes two when a second headline comes, and the
        first, renamed from "lead", is no news. The store is read only for a page with new ids."""
        known = {pid for pid, _, _ in (self.old.layout if self.old else ())}
        fresh = [p for p in self.article.posts if p.post_id not in known]
        if fresh and self.old is not None:
            said = " ".join(" ".join(d.split()) for d in store.documents(self.old.chunk_ids()))
            fresh = [p for p in fresh if not _said_before(p.text, said)]
        a = self.article
        return [NewPost(p.post_id, a.article_id, p.headline, p.text, a.title, a.url, a.published)
                for p in fresh]


def build_index(config: Config, progress: bool = True, store: Store | None = None,
                embed_model: Any = None) -> BuildReport:
    """Bring the store in line with the corpus; safe to run again, and after an interruption.

    embed_model: an already loaded model (a running engine's), so a live update skips loading.
    """
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
    todo = [Plan(a, h, [post_hash(a, i, signature) for i in range(len(a.posts))], ledger.get(aid))
            for aid, (a, h) in wanted.items() if aid not in ledger or ledger[aid].hash != h]
    report = BuildReport(
        articles=len(wanted) + len(kept), removed=len(gone), problems=corpus.problems,
        updated=sum(1 for p in todo if p.old is not None),
        unchanged=len(wanted) + len(kept) - len(todo))
    report.added = len(todo) - report.updated
    report.new_posts = [post for p in todo for post in p.new_posts(store)]

    def entry(article: Article, digest: str, layout: tuple) -> LedgerEntry:
        return LedgerEntry(article.article_id, digest, article.file, sum(c for _, _, c in layout),
                           len(article.posts), article.published, corpus.stamps.get(article.file),
                           signature, layout, page_digest(article))

    layouts = {aid: e.layout for aid, e in ledger.items()}
    if todo:
        layouts.update(_ingest(config, store, todo, entry, signature, embed_model, progress, report))
    # Files are stamped only now that every article of theirs is in: a build interrupted
    # halfway through a file must read that file again, not trust its first half.
    final = [entry(a, h, layouts[aid]) for aid, (a, h) in wanted.items() if aid in layouts]
    store.record([e for e in final if e != ledger.get(e.article_id)])
    # Removed articles go last, so that a renamed file's articles are never missing.
    store.forget(gone)
    store.sweep({aid: ledger[aid] for aid in kept} | {e.article_id: e for e in final})
    report.chunks_total = store.count_chunks()
    report.seconds = time.perf_counter() - started
    log.info("build: %s", report.summary())
    return report


def _said_before(text: str, said: str) -> bool:
    """Whether every paragraph of text is in `said` (a paragraph cut across two chunks is not)."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]
    return bool(paragraphs) and all(p in said for p in paragraphs)


def page_digest(article: Article) -> str:
    """What the chunks of every post carry from their page, besides their place on it."""
    payload = json.dumps([article.source, article.url, article.published, article.file])
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _known_files(ledger: dict[str, LedgerEntry], signature: str) -> Callable[[str, str], bool]:
    """Whether a file is exactly as the ledger saw it, under the same model and chunking."""
    by_file: dict[str, list[LedgerEntry]] = {}
    for e in ledger.values():
        by_file.setdefault(e.file, []).append(e)

    def known(file: str, stamp: str) -> bool:
        entries = by_file.get(file, ())
        return bool(entries) and all(e.stamp == stamp and e.signature == signature for e in entries)
    return known


def _ingest(config: Config, store: Store, todo: list[Plan],
            entry: Callable[[Article, str, tuple], LedgerEntry], signature: str,
            embed_model: Any, progress: bool, report: BuildReport) -> dict[str, tuple]:
    """Embed and store the new and changed posts of these articles; their new layouts.

    Per round: the new post generations are written beside the old (ids carry the post
    hash), the unchanged posts' page metadata is rewritten in place, the ledger names the
    new layout (unstamped), and only then are the old generations deleted. Answers never
    see a gap, a failed round leaves the old chunks live, and a rerun writes the same ids.
    """
    from llama_index.core.ingestion import IngestionPipeline
    from llama_index.vector_stores.chroma import ChromaVectorStore

    tokenizer = load_tokenizer(model_path(config.embedding))
    splitter = make_splitter(config.chunking, tokenizer)
    clip = metadata_clipper(tokenizer, config.chunking)
    pipeline = None  # the model loads only if some post needs embedding
    vector_store = ChromaVectorStore(chroma_collection=store.chunks(create=True))
    limit = store.max_batch()
    layouts: dict[str, tuple] = {}
    bar = _progress_bar(sum(len(p.to_embed) for p in todo), progress)
    for batch in _batches(todo):
        docs = [d for p in batch for d in post_documents(p.article, signature, clip, p.to_embed)]
        nodes = splitter(docs)
        for part, part_nodes in _by_chunks(batch, nodes, limit):
            if part_nodes:
                if pipeline is None:
                    # No docstore: the store's own ledger decides what to skip (see Store).
                    pipeline = IngestionPipeline(transformations=[
                        LengthOrder(), embed_model or load_embed_model(config.embedding)])
                part_nodes = pipeline.run(nodes=part_nodes)
                for start in range(0, len(part_nodes), limit):
                    vector_store.add(part_nodes[start:start + limit])
            counts = Counter(n.metadata["post_id"] for n in part_nodes)
            new = {p.article.article_id: _layout(p, counts) for p in part}
            store.rewrite_metadata({k: v for p in part for k, v in _moved(p).items()})
            store.record([replace(entry(p.article, p.digest, new[p.article.article_id]), stamp=None)
                          for p in part])
            store.delete_chunks([cid for p in part if p.old for cid in p.old.chunk_ids(set(p.hashes))])
            layouts.update(new)
            report.chunks_embedded += len(part_nodes)
            report.posts_embedded += sum(len(p.to_embed) for p in part)
            bar.update(sum(len(p.to_embed) for p in part))
    bar.close()
    return layouts


def _layout(plan: Plan, counts: Counter) -> tuple[tuple[str, str, int], ...]:
    live = plan.old_posts
    return tuple((post.post_id, h, live[h][2] if h in live else counts[post.post_id])
                 for post, h in zip(plan.article.posts, plan.hashes))


def _moved(plan: Plan) -> dict[str, dict]:
    """chunk id -> new page metadata, for the unchanged posts whose page metadata changed."""
    live, changes = plan.old_posts, {}
    same_page = plan.old is not None and plan.old.page == page_digest(plan.article)
    for position, h in enumerate(plan.hashes):
        if h not in live or (same_page and live[h][0] == position):
            continue
        _, pid, count = live[h]
        changes.update({chunk_id(pid, n, h): page_metadata(plan.article, position)
                        for n in range(count)})
    return changes


def _by_chunks(batch: list[Plan], nodes: list[BaseNode],
               limit: int) -> Iterator[tuple[list[Plan], list[BaseNode]]]:
    """Whole articles, in parts of at most limit chunks (an article bigger alone is one part)."""
    mine: dict[str, list[BaseNode]] = {}
    for n in nodes:
        mine.setdefault(n.metadata["article_id"], []).append(n)
    part: list[Plan] = []
    part_nodes: list[BaseNode] = []
    for plan in batch:
        own = mine.get(plan.article.article_id, [])
        if part and len(part_nodes) + len(own) > limit:
            yield part, part_nodes
            part, part_nodes = [], []
        part.append(plan)
        part_nodes.extend(own)
    if part:
        yield part, part_nodes


class LengthOrder(TransformComponent):
    """Chunks shortest first, so that each embedding batch holds chunks of like length.

    sentence-transformers sorts by length only within one encode() call, and LlamaIndex
    calls it once per embed_batch_size chunks in document order: short last chunks of
    posts would otherwise pad whole batches of full ones.
    """

    def __call__(self, nodes: Sequence[BaseNode], **kwargs: Any) -> list[BaseNode]:
        return sorted(nodes, key=lambda n: len(n.get_content(metadata_mode=MetadataMode.EMBED)))


def _batches(todo: list[Plan]) -> Iterator[list[Plan]]:
    """Rounds of about BATCH_CHARS of text to embed (whole articles); chunk counts are
    bounded per part by _by_chunks, once the round is split."""
    batch, size = [], 0
    for plan in todo:
        batch.append(plan)
        size += sum(len(plan.article.posts[i].text) for i in plan.to_embed)
        if size >= BATCH_CHARS:
            yield batch
            batch, size = [], 0
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
