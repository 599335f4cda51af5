"""Logging for the bot: readable, quiet about HTTP, and never showing a token or signing secret."""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "<token>"
# Slack's token shapes (bot, user, app-level, refresh...): redacted even when not passed in,
# so another workspace's token quoted in an error never reaches the log either.
SLACK_TOKEN = re.compile(r"\bx(?:ox[a-z]|app)-[0-9A-Za-z-]{8,}")


class RedactFilter(logging.Filter):
    """Replaces secrets in a record's message, arguments and traceback before any handler writes it."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return SLACK_TOKEN.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.redact(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def setup_logging(*secrets: str, stream: TextIO = sys.stderr, level: int = logging.INFO) -> logging.Handler:
    """One stderr handler on the root logger, with the secrets redacted from everything it writes."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactFilter(*secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and PTB's URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # slack_sdk logs whole request bodies at DEBUG; INFO is enough for an operator.
    logging.getLogger("slack_sdk").setLevel(logging.INFO)
    # Not used by the bot, but chatty at INFO.
    for name in ("chromadb", "sentence_transformers", "bm25s"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
