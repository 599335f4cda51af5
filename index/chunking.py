"""Articles to LlamaIndex documents (one per post) and sentence-aware chunks with stable ids."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection
from functools import partial

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter

from .config import ChunkingConfig
from .documents import Article
from .embedding import TokenCounter
from .splitting import sentence_splitter

# Metadata that shapes the embedding (and BM25) text: a chunk is found by its headline too.
EMBED_KEYS = ("headline", "title")
# 2: chunks belong to a post generation (post_hash), not to an article one.
# 3: chunks are not cut after a title ("Gov. | Greg Abbott said"): index.splitting's sentences.
# 4: initialisms ("U.S.") are words to the BM25 side and the word counts (index.terms.undotted).
SCHEMA_VERSION = "4"  # bump when the chunk text or metadata layout changes: forces a re-embed
# What a post's chunks carry from their page, and may be rewritten in place (never
# re-embedded) when the page around an unchanged post changes: none of it is embedded.
PAGE_KEYS = ("post_index", "source", "url", "published", "dated", "file")


def post_hash(article: Article, position: int, signature: str) -> str:
    """What decides one post's chunks and vectors: its own text, and the title embedded with it."""
    post = article.posts[position]
    payload = json.dumps([post.post_id, post.headline, post.text, article.title, signature],
                         ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def page_metadata(article: Article, position: int) -> dict:
    """The PAGE_KEYS of one post, None where unknown (so that an update clears them)."""
    return {
        "post_index": position,  # page order: a live page's newest post is usually first
        "source": article.source,
        "url": article.url,
        "published": article.published,
        "dated": int(article.published is not None),  # int: filters take no bools
        "file": article.file,
    }


def post_documents(article: Article, signature: str, clip: Callable[[str], str] = str,
                   only: Collection[int] | None = None) -> list[Document]:
    """One Document per post (or per post at the positions in only), with flat metadata;
    unknown fields are left out, not blanked.

    clip shortens the headline and title, which are part of every chunk's embedded text.
    """
    docs = []
    title = clip(article.title) if article.title else None
    for position, post in enumerate(article.posts):
        if only is not None and position not in only:
            continue
        metadata = {
            "headline": clip(post.headline),
            "title": title,
            **page_metadata(article, position),
            "post_id": post.post_id,
            "article_id": article.article_id,
            "post_hash": post_hash(article, position, signature),
        }
        metadata = {k: v for k, v in metadata.items() if v is not None}
        hidden = [k for k in metadata if k not in EMBED_KEYS]
        docs.append(Document(
            id_=post.post_id,
            text=post.text,
            metadata=metadata,
            excluded_embed_metadata_keys=hidden,
            excluded_llm_metadata_keys=hidden,
            metadata_template="{value}",
            metadata_separator="\n",
            text_template="{metadata_str}\n\n{content}",
        ))
    return docs


def metadata_clipper(tokenizer: TokenCounter, config: ChunkingConfig) -> Callable[[str], str]:
    """Cuts each embedded metadata value to a quarter of a chunk, so that headline and title
    leave half of every chunk for text; SentenceSplitter raises when they fill it."""
    return partial(tokenizer.clip, limit=config.chunk_size // 4)


def make_splitter(config: ChunkingConfig, tokenizer: Callable[[str], list]) -> SentenceSplitter:
    """Sentence-aware splitter counting the embedding model's tokens; chunk ids are post_id/n@hash.

    The post hash in the id makes each version of a post a new generation of chunks,
    written beside the old one before the old is deleted (see build).
    """
    return SentenceSplitter(
        chunk_size=config.chunk_size,
        chunk_overlap=config.chunk_overlap,
        tokenizer=tokenizer,
        # Punkt alone ends a sentence after "Gov." or "a.m.", and a chunk could then open
        # with half a name ("Greg Abbott said ...", its title left in the chunk before).
        chunking_tokenizer_fn=sentence_splitter(),
        id_func=lambda i, doc: chunk_id(doc.id_, i, doc.metadata['post_hash']),
        include_prev_next_rel=False,
    )



def chunk_id(post_id: str, n: int, digest: str) -> str:
    return f"{post_id}/{n}@{digest}"
