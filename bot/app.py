"""Start-up: read config, run the front ends whose tokens are set (else the terminal chat), or feedback."""

from __future__ import annotations

import argparse
import sys

from index import Config, CoverageError, Engine, load_config
from index.cli import quiet_logging

from .frontends import Tokens

TOKEN_HELP = ("Neither TELEGRAM_BOT_TOKEN nor SLACK_BOT_TOKEN is set, so no chat front end is started.\n"
              "To run the Telegram bot: export TELEGRAM_BOT_TOKEN=<token from @BotFather>; for Slack,\n"
              "SLACK_BOT_TOKEN and SLACK_APP_TOKEN (see README, \"Slack\"). Then start again.\n"
              "Meanwhile, here is the same engine as a terminal chat.\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--config", default="config.toml", help="config file (default: %(default)s)")
    parser.add_argument("--terminal", action="store_true", help="the terminal chat, even with a token")
    parser.add_argument("command", nargs="?", choices=["feedback", "slack", "telegram"],
                        help="slack / telegram: that front end alone (default: every one whose token is "
                             "set); feedback: print the users' ratings (counts, then every 👎) and exit")
    parser.add_argument("--json", action="store_true", help="with feedback: as JSON")
    args = parser.parse_args(argv)
    tokens = Tokens.from_env()
    try:
        config = load_config(args.config)
        if args.command == "feedback":
            return show_feedback(config, args.json)
        wanted = [args.command] if args.command else [] if args.terminal else tokens.present()
        if wanted:
            return run_frontends(config, tokens, wanted)
        quiet_logging()
        if not tokens.present():
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


def run_frontends(config: Config, tokens: Tokens, names: list[str]) -> int:
    """Telegram alone as it always ran; Slack, or both, on one event loop."""
    if names == ["telegram"]:
        if not tokens.telegram:
            print("error: TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
            return 2
        from .telegram.app import main as run_telegram

        return run_telegram(config, tokens.telegram)
    from .frontends import run_all

    return run_all(config, tokens, names)


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
