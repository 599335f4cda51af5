"""Articles to LlamaIndex documents (one per post) and sentence-aware chunks with stable ids."""

from __future__ import annotations

from collections.abc import Callable

from llama_index.core import Document
from llama_index.core.node_parser import SentenceSplitter

from .config import ChunkingConfig
from .documents import Article

# Metadata that shapes the embedding (and BM25) text: a chunk is found by its headline too.
EMBED_KEYS = ("headline", "title")
SCHEMA_VERSION = "1"  # bump when the chunk text or metadata layout changes: forces a re-embed


def post_documents(article: Article, article_hash: str) -> list[Document]:
    """One Document per post, with flat metadata; unknown fields are left out, not blanked."""
    docs = []
    for post in article.posts:
        metadata = {
            "headline": post.headline,
            "title": article.title,
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


def make_splitter(config: ChunkingConfig, tokenizer: Callable[[str], list]) -> SentenceSplitter:
    """Sentence-aware splitter counting the embedding model's tokens; chunk ids are post_id/n."""
    return SentenceSplitter(
        chunk_size=config.chunk_size,
        chunk_overlap=config.chunk_overlap,
        tokenizer=tokenizer,
        id_func=lambda i, doc: f"{doc.id_}/{i}",
        include_prev_next_rel=False,
    )

