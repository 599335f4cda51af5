"""The Slack app's credentials, from the environment only: kept light, since start-up reads them first."""

from __future__ import annotations

import os
from dataclasses import dataclass

from index.config import SlackConfig


@dataclass(frozen=True)
class Secrets:
    """The app's credentials, read from the environment only (never from config.toml)."""

    bot_token: str
    app_token: str = ""  # Socket Mode
    signing_secret: str = ""  # HTTP mode

    @classmethod
    def from_env(cls) -> Secrets:
        get = os.environ.get
        return cls(get("SLACK_BOT_TOKEN", "").strip(), get("SLACK_APP_TOKEN", "").strip(),
                   get("SLACK_SIGNING_SECRET", "").strip())

    def all(self) -> tuple[str, ...]:
        return self.bot_token, self.app_token, self.signing_secret

    def missing(self, settings: SlackConfig) -> str | None:
        """The variable the configured mode still needs, if any."""
        if not self.bot_token:
            return "SLACK_BOT_TOKEN"
        if settings.mode == "socket" and not self.app_token:
            return "SLACK_APP_TOKEN"
        if settings.mode == "http" and not self.signing_secret:
            return "SLACK_SIGNING_SECRET"
        return None
