"""Start-up: read config, open the engine, run the Telegram bot or the terminal chat."""

from __future__ import annotations

import argparse
import os
import secrets
import sys

from index import Config, CoverageError, Engine, load_config
from index.cli import quiet_logging

TOKEN_HELP = ("TELEGRAM_BOT_TOKEN is not set, so the Telegram bot is not started.\n"
              "To run it: export TELEGRAM_BOT_TOKEN=<token from @BotFather> and start again.\n"
              "Meanwhile, here is the same engine as a terminal chat.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--config", default="config.toml", help="config file (default: %(default)s)")
    parser.add_argument("--terminal", action="store_true", help="the terminal chat, even with a token")
    args = parser.parse_args(argv)
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    try:
        config = load_config(args.config)
        if token and not args.terminal:
            return run_telegram(config, token)
        quiet_logging()
        if not token:
            print(TOKEN_HELP, file=sys.stderr)
        from .terminal import chat

        chat(Engine(config), config.telegram.history_turns)
        return 0
    except CoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def run_telegram(config: Config, token: str) -> int:
    """Long polling by default; a webhook (with a secret token) when `[telegram] webhook_url` is set."""
    from .logs import setup_logging

    # The webhook secret is ours alone: we hand it to Telegram and check it on every call.
    webhook_secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or secrets.token_urlsafe(32)
    setup_logging(token, webhook_secret)
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from .service import CoverageService
    from .telegram_app import build_application

    service = CoverageService(Engine(config), config)
    app = build_application(service, token)
    settings = config.telegram
    try:
        if settings.webhook_url:
            app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                            url_path="telegram", webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
                            secret_token=webhook_secret, allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(f"error: the Bot API at {settings.base_url} rejected TELEGRAM_BOT_TOKEN; "
              "check it with @BotFather", file=sys.stderr)
        return 3
    except NetworkError as exc:  # start-up only: once running, PTB retries network errors itself
        print(f"error: cannot reach the Bot API at {settings.base_url}: {exc}", file=sys.stderr)
        return 3
    finally:
        service.close()
    return 0
