"""Every error the engine raises on purpose, in one place."""

from __future__ import annotations


class CoverageError(Exception):
    """Base class: a problem the user can act on, with a message that says how."""


class ConfigError(CoverageError):
    """config.toml is missing, malformed, or names an unknown key or a bad value."""


class CorpusError(CoverageError):
    """The corpus folder is missing or holds nothing that can be read."""


class IndexMissingError(CoverageError):
    """No index has been built yet (or it is empty): run `python -m index build`."""


class StoreUnavailableError(CoverageError):
    """The Chroma store (embedded path or server) cannot be reached."""


class ModelError(CoverageError):
    """The embedding model cannot be loaded from its local path."""


class QuestionError(CoverageError):
    """The question cannot be asked as given: empty, or longer than the limit."""
