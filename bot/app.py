"""Start-up: read config, open the engine, run the Telegram bot or the terminal chat."""

from __future__ import annotations

import argparse
import os
import sys

from index import CoverageError, Engine, load_config
from index.cli import quiet_logging

TOKEN_HELP = ("TELEGRAM_BOT_TOKEN is not set, so the Telegram bot is not started.\n"
              "To run it: export TELEGRAM_BOT_TOKEN=<token from @BotFather> and start again.\n"
              "Meanwhile, here is the same engine as a terminal chat.\n")


NO_TELEGRAM_YET = ("TELEGRAM_BOT_TOKEN is set, but this build has no Telegram front end yet; "
                   "starting the terminal chat on the same engine.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--config", default="config.toml", help="config file (default: %(default)s)")
    parser.add_argument("--terminal", action="store_true", help="the terminal chat, even with a token")
    args = parser.parse_args(argv)
    quiet_logging()
    try:
        config = load_config(args.config)
        token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
        if token and not args.terminal:
            # The Telegram front end is issue 3; until it lands, say so plainly.
            print(NO_TELEGRAM_YET, file=sys.stderr)
        elif not token:
            print(TOKEN_HELP, file=sys.stderr)
        from .terminal import chat

        chat(Engine(config), config.telegram.history_turns)
        return 0
    except CoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
