"""Start-up: read config, open the engine, run the Telegram bot or the terminal chat (or read feedback)."""

from __future__ import annotations

import argparse
import os
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
    parser.add_argument("command", nargs="?", choices=["feedback"],
                        help="feedback: print the users' ratings (counts, then every 👎) and exit")
    parser.add_argument("--json", action="store_true", help="with feedback: as JSON")
    args = parser.parse_args(argv)
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    try:
        config = load_config(args.config)
        if args.command == "feedback":
            return show_feedback(config, args.json)
        if token and not args.terminal:
            from .telegram.app import main as run_telegram

            return run_telegram(config, token)
        quiet_logging()
        if not token:
            print(TOKEN_HELP, file=sys.stderr)
        from .terminal import chat, open_chat

        core = open_chat(Engine(config), config)
        try:
            chat(core)
        finally:
            core.close()
        return 0
    except CoverageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def show_feedback(config: Config, as_json: bool) -> int:
    from .feedback import report
    from .state import SqliteState

    if not config.state.path.exists():  # opening it would create an empty one
        print(f"error: no state file at {config.state.path}: no feedback yet", file=sys.stderr)
        return 2
    state = SqliteState(config.state.path)
    try:
        report(state, sys.stdout, as_json)
    finally:
        state.close()
    return 0
