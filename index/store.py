"""Chroma, embedded or server: the chunk collection and the ledger of indexed articles."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import chromadb
import httpx
from chromadb.config import Settings as ChromaSettings

from .config import ChromaConfig
from .errors import IndexMissingError, StoreUnavailableError

log = logging.getLogger(__name__)

PAGE = 5000  # records per Chroma get(); bounded so a big store never loads in one reply


@dataclass(frozen=True)
class Stats:
    """What the index holds."""

    articles: int
    posts: int
    chunks: int
    newest: int | None  # the newest publish time, epoch seconds; None when nothing is dated


@dataclass(frozen=True)
class LedgerEntry:
    """What the store holds for one article: enough to tell whether it must be re-embedded."""

    article_id: str
    hash: str
    file: str
    chunks: int
    posts: int
    published: int | None
    # The file's size:mtime and the build signature when it was read; None for a file
    # with a problem, which is read again every time so that its problem is reported again.
    stamp: str | None = None
    signature: str | None = None
    # The posts in page order, each (post_id, post_hash, chunks): which generation of each
    # post is live, so that one changed post is all a page re-embeds.
    layout: tuple[tuple[str, str, int], ...] = ()
    page: str | None = None  # a digest of the page-level metadata the chunks carry

    def chunk_ids(self, keep: set[str] = frozenset()) -> list[str]:
        """The ids of this entry's live chunks, except those of the post hashes in keep."""
        from .chunking import chunk_id  # llama-index loads only when chunks are handled

        return [chunk_id(pid, n, digest) for pid, digest, count in self.layout
                if digest not in keep for n in range(count)]


def open_client(config: ChromaConfig) -> chromadb.api.ClientAPI:
    """An embedded PersistentClient, or an HttpClient when [chroma] host is set."""
    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if config.host:
            client = chromadb.HttpClient(host=config.host, port=config.port, settings=settings)
            # chromadb 1.5 sends every request with httpx's timeout=None and has no setting
            # for it: a frozen server would hold every answer thread forever.
            client._server._session.timeout = httpx.Timeout(config.timeout_s)
            client.heartbeat()
            return client
        config.path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(config.path), settings=settings)
    except Exception as exc:  # chromadb raises plain ValueError/httpx errors for a dead server
        where = f"{config.host}:{config.port}" if config.host else str(config.path)
        raise StoreUnavailableError(f"cannot open the Chroma store at {where}: {exc}") from exc


class GuardedChroma:
    """A Chroma collection (or client) whose lost or timed-out server raises StoreUnavailableError.

    chromadb lets httpx's transport errors through, which are no CoverageError: a user
    would get a generic apology instead of "I can't reach the coverage".
    """

    def __init__(self, collection: chromadb.Collection, where: str) -> None:
        self._collection = collection
        self._where = where

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._collection, name)
        return self._guard(value) if callable(value) else value

    def _guard(self, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except httpx.TimeoutException as exc:
                raise StoreUnavailableError(f"the Chroma server at {self._where} did not answer "
                                            f"in time ({exc.__class__.__name__})") from exc
            except httpx.TransportError as exc:
                raise StoreUnavailableError(f"cannot reach the Chroma server at {self._where}: "
                                            f"{exc}") from exc
        return call


class Store:
    """The two collections of one index: chunks (with embeddings) and the article ledger.

    The ledger lives in Chroma beside the chunks, not in a side file, so that the
    store alone says what is indexed; an article's ledger row is written only after
    its chunks, so an interrupted build is finished (not duplicated) by the next one.
    """

    def __init__(self, client: chromadb.api.ClientAPI, name: str, where: str = "",
                 search_ef: int = ChromaConfig.search_ef) -> None:
        self.client = client
        self.name = name
        self.where = where  # host:port or path, for messages
        self.search_ef = search_ef
        self._chunks = None
        self._ledger = None
        self._max_batch: int | None = None

    @classmethod
    def open(cls, config: ChromaConfig) -> Store:
        where = f"{config.host}:{config.port}" if config.host else str(config.path)
        return cls(open_client(config), config.collection, where, config.search_ef)

    # Collections. embedding_function=None on create *and* get: Chroma would otherwise
    # attach its default ONNX model, which downloads weights.
    def chunks(self, create: bool = False) -> GuardedChroma:
        if self._chunks is None:
            hnsw = {"space": "cosine", "ef_search": self.search_ef}
            self._chunks = self._collection(self.name, create, {"hnsw": hnsw})
            if create:
                self._keep_search_ef(self._chunks)
        return self._chunks

    def _keep_search_ef(self, chunks: GuardedChroma) -> None:
        """An index made with another search breadth (or before it was set) is brought to ours."""
        hnsw = (chunks.configuration or {}).get("hnsw") or {}
        if hnsw.get("ef_search") != self.search_ef:
            chunks.modify(configuration={"hnsw": {"ef_search": self.search_ef}})

    def ledger(self, create: bool = False) -> GuardedChroma:
        if self._ledger is None:
            self._ledger = self._collection(f"{self.name}-articles", create, None)
        return self._ledger

    def _collection(self, name: str, create: bool, configuration: dict | None) -> GuardedChroma:
        try:
            if create:
                collection = self.client.get_or_create_collection(
                    name, configuration=configuration, embedding_function=None)
            else:
                collection = self.client.get_collection(name, embedding_function=None)
            return GuardedChroma(collection, self.where or name)
        except chromadb.errors.NotFoundError:
            raise IndexMissingError(
                f"no index named {self.name!r} yet: run `python -m index build`") from None
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma failed on collection {name!r}: {exc}") from exc

    def exists(self) -> bool:
        try:
            self.chunks()
            self.ledger()
        except IndexMissingError:
            return False
        return True

    def max_batch(self) -> int:
        """The most records Chroma takes in one write (5,461 for the embedded store)."""
        if self._max_batch is None:
            self._max_batch = GuardedChroma(self.client, self.where).get_max_batch_size()
        return self._max_batch

    def _slices(self, items: list) -> Iterator[list]:
        size = self.max_batch()
        for start in range(0, len(items), size):
            yield items[start:start + size]

    # The ledger.
    def read_ledger(self) -> dict[str, LedgerEntry]:
        entries = {}
        for ids, metas, _ in self._pages(self.ledger(), include=["metadatas"]):
            for article_id, meta in zip(ids, metas):
                layout = tuple(tuple(p) for p in json.loads(meta.get("layout") or "[]"))
                entries[article_id] = LedgerEntry(
                    article_id, meta["hash"], meta["file"], meta["chunks"], meta["posts"],
                    meta.get("published"), meta.get("stamp"), meta.get("signature"),
                    layout, meta.get("page"))
        return entries

    def record(self, entries: list[LedgerEntry]) -> None:
        for part in self._slices(entries):
            metas = []
            for e in part:
                meta = {"hash": e.hash, "file": e.file, "chunks": e.chunks, "posts": e.posts}
                # None, not a missing key: Chroma's upsert merges metadata, and only None
                # deletes a key, such as the publish time of an article now undated.
                meta.update({"published": e.published, "stamp": e.stamp, "signature": e.signature,
                             "layout": json.dumps(e.layout, ensure_ascii=False), "page": e.page})
                metas.append(meta)
            self.ledger(create=True).upsert(
                ids=[e.article_id for e in part], metadatas=metas,
                embeddings=[[1.0]] * len(part))  # the ledger is never searched

    def forget(self, article_ids: list[str]) -> None:
        """Delete these articles' chunks, then their ledger rows."""
        for batch in self._slices(article_ids):
            self.chunks(create=True).delete(where={"article_id": {"$in": batch}})
            self.ledger(create=True).delete(ids=batch)

    def delete_chunks(self, ids: list[str]) -> None:
        for part in self._slices(ids):
            self.chunks(create=True).delete(ids=part)

    def documents(self, ids: list[str]) -> list[str]:
        """The text of these chunks, those that exist."""
        out: list[str] = []
        for part in self._slices(ids):
            found = self.chunks(create=True).get(ids=part, include=["documents"])
            out += [d for d in found["documents"] if d]
        return out

    def rewrite_metadata(self, changes: dict[str, dict]) -> None:
        """Give these chunks (by id) new values for some metadata keys; None deletes a key.

        The flat keys and LlamaIndex's copy of the node (_node_content, which is what
        retrieval reads back), with the copy of its post's metadata in its source relationship,
        are rewritten together; the embedding is left as it is. (That relationship's hash, the
        post document's digest, stays: it needs the post's whole text, and nothing reads it.)
        """
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo
        from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

        for part in self._slices(list(changes)):
            found = self.chunks(create=True).get(ids=part, include=["metadatas"])
            ids, metas = [], []
            for chunk_id, meta in zip(found["ids"], found["metadatas"]):
                node = metadata_dict_to_node(meta)
                source = node.relationships.get(NodeRelationship.SOURCE)
                copies = [node.metadata] + ([source.metadata] if isinstance(source, RelatedNodeInfo) else [])
                for key, value in changes[chunk_id].items():
                    for copy in copies:
                        if value is None:
                            copy.pop(key, None)
                        else:
                            copy[key] = value
                new = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
                new.update({k: None for k, v in changes[chunk_id].items() if v is None})
                ids.append(chunk_id)
                metas.append(new)
            if ids:
                self.chunks(create=True).update(ids=ids, metadatas=metas)

    def sweep(self, ledger: dict[str, LedgerEntry]) -> int:
        """Delete chunks the ledger does not account for; how many.

        Only an interrupted round leaves any (a post generation written but never recorded,
        or recorded but its predecessor not yet deleted), and then the count disagrees: the
        whole collection is read only in that case.
        """
        if self.count_chunks() == sum(e.chunks for e in ledger.values()):
            return 0
        live = {aid: {digest for _, digest, _ in e.layout} for aid, e in ledger.items()}
        stale = []
        for ids, metas, _ in self._pages(self.chunks(), include=["metadatas"]):
            for chunk_id, meta in zip(ids, metas):
                if meta.get("post_hash") not in live.get(meta.get("article_id"), ()):
                    stale.append(chunk_id)
        for part in self._slices(stale):
            self.chunks().delete(ids=part)
        log.info("store: %d chunks of interrupted builds deleted", len(stale))
        return len(stale)

    # Reading chunks back, for the BM25 side and stats.
    def iter_chunks(self) -> Iterator[tuple[list[str], list[dict], list[str]]]:
        yield from self._pages(self.chunks(), include=["metadatas", "documents"])

    def fingerprint(self) -> str:
        """Changes whenever what is indexed does: every article's hash, and the chunk count."""
        digest = hashlib.sha256(f"{self.name}:{self.count_chunks()}".encode())
        for article_id, entry in sorted(self.read_ledger().items()):
            digest.update(f"{article_id}:{entry.hash}\n".encode())
        return digest.hexdigest()[:16]

    def count_chunks(self) -> int:
        return self.chunks().count()

    def stats(self) -> Stats:
        ledger = self.read_ledger().values()
        dated = [e.published for e in ledger if e.published is not None]
        return Stats(articles=len(ledger), posts=sum(e.posts for e in ledger),
                     chunks=self.count_chunks(), newest=max(dated) if dated else None)

    @staticmethod
    def _pages(collection: chromadb.Collection, include: list[str]) -> Iterator[tuple]:
        offset = 0
        while True:
            page = collection.get(include=include, limit=PAGE, offset=offset)
            if not page["ids"]:
                return
            yield page["ids"], page.get("metadatas") or [], page.get("documents") or []
            offset += len(page["ids"])
