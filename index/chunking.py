"""Articles to LlamaIndex documents (one per post) and sentence-aware chunks with stable ids."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter

from .config import ChunkingConfig
from .documents import Article
from .embedding import TokenCounter

# Metadata that shapes the embedding (and BM25) text: a chunk is found by its headline too.
EMBED_KEYS = ("headline", "title")
SCHEMA_VERSION = "1"  # bump when the chunk text or metadata layout changes: forces a re-embed


def post_documents(article: Article, article_hash: str,
                   clip: Callable[[str], str] = str) -> list[Document]:
    """One Document per post, with flat metadata; unknown fields are left out, not blanked.

    clip shortens the headline and title, which are part of every chunk's embedded text.
    """
    docs = []
    title = clip(article.title) if article.title else None
    for position, post in enumerate(article.posts):
        metadata = {
            "post_index": position,  # page order: a live page's newest post is usually first
            "headline": clip(post.headline),
            "title": title,
            "source": article.source,
            "url": article.url,
            "published": article.published,
            "dated": int(article.published is not None),  # int: filters take no bools
            "post_id": post.post_id,
            "article_id": article.article_id,
            "file": article.file,
            "article_hash": article_hash,
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

    The article hash in the id makes each version of an article a new generation of
    chunks, written beside the old one before the old is deleted (see build).
    """
    return SentenceSplitter(
        chunk_size=config.chunk_size,
        chunk_overlap=config.chunk_overlap,
        tokenizer=tokenizer,
        id_func=lambda i, doc: f"{doc.id_}/{i}@{doc.metadata['article_hash']}",
        include_prev_next_rel=False,
    )

