"""Sentences cut as the engine cuts them, and chunks that never open with half a name."""

from __future__ import annotations

from llama_index.core.schema import Document

from index.chunking import make_splitter
from index.config import ChunkingConfig, EmbeddingConfig
from index.embedding import load_tokenizer, model_path
from index.splitting import sentence_splitter


def test_sentences_are_not_cut_after_a_title_and_join_back_into_the_text() -> None:
    text = ("Texas Gov. Greg Abbott spoke at 7 p.m. on Friday. Dr. Lee said the road was shut. "
            "It reopened at St. Mary's gate.")
    sentences = sentence_splitter()(text)
    assert "".join(sentences) == text
    assert [s.strip() for s in sentences] == ["Texas Gov. Greg Abbott spoke at 7 p.m. on Friday.",
                                              "Dr. Lee said the road was shut.",
                                              "It reopened at St. Mary's gate."]


def test_a_chunk_never_opens_after_a_title() -> None:
    text = " ".join(f"Road {i} was shut by Gov. Marsh after the vote." for i in range(80))
    tokenizer = load_tokenizer(model_path(EmbeddingConfig()))
    for size in range(40, 100, 6):  # where the cuts fall depends on the chunk size
        splitter = make_splitter(ChunkingConfig(chunk_size=size, chunk_overlap=8), tokenizer)
        chunks = [n.get_content() for n in splitter.get_nodes_from_documents(
            [Document(text=text, id_="p", metadata={"post_hash": "h"})])]
        assert len(chunks) > 3
        assert all(chunk.startswith("Road ") for chunk in chunks), (size, [c[:20] for c in chunks])
