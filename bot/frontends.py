"""Every front end whose tokens are set, in one process on one event loop over one engine."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from index import Config, Engine

from . import live
from .service import CoverageService
from .slack.secrets import Secrets

log = logging.getLogger(__name__)

EXIT_BAD_TOKEN = 3  # a front end refused its credentials (Telegram has always exited so)


@dataclass(frozen=True)
class Tokens:
    """What the environment holds for each front end."""

    telegram: str
    slack: Secrets

    @classmethod
    def from_env(cls) -> Tokens:
        return cls(os.environ.get("TELEGRAM_BOT_TOKEN", "").strip(), Secrets.from_env())

    def present(self) -> list[str]:
        """The front ends to start: those whose bot token is set."""
        tokens = (("telegram", self.telegram), ("slack", self.slack.bot_token))
        return [name for name, token in tokens if token]


def run_all(config: Config, tokens: Tokens, names: list[str]) -> int:
    """Run these front ends until SIGINT or SIGTERM; 3 if any of them was refused its credentials."""
    from .logs import setup_logging
    from .telegram.app import webhook_secret

    hook = webhook_secret()
    setup_logging(tokens.telegram, hook, *tokens.slack.all(), config.llm.api_key())
    return asyncio.run(_run_all(config, tokens, hook, names))


async def _run_all(config: Config, tokens: Tokens, hook: str, names: list[str]) -> int:
    engine = await asyncio.to_thread(Engine, config)
    # One watcher (and one set of source fetchers) for the process, not one per front end: the
    # folder is watched and the engine updated once, and it goes on if one front end stops.
    # Each front end announces the engine's new posts to its own followers.
    watcher, done = CoverageService(engine, config), asyncio.Event()
    watching = live.start(watcher, done)
    runners = {"telegram": lambda: _telegram(config, engine, tokens.telegram, hook),
               "slack": lambda: _slack(config, engine, tokens.slack)}
    tasks = [asyncio.create_task(_guarded(name, runners[name])) for name in names]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    # Until a signal, or until every front end has stopped (each refused its credentials).
    together = asyncio.gather(*tasks)
    # Its outcome is the tasks' own, read below; retrieved here so asyncio does not log it as lost.
    together.add_done_callback(lambda f: f.cancelled() or f.exception())
    await asyncio.wait([stopping, together], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    await live.finish(done, watching)
    watcher.close()
    return EXIT_BAD_TOKEN if EXIT_BAD_TOKEN in results else 0


async def _guarded(name: str, start: Callable[[], Awaitable[None]]) -> int:
    """One front end; a start-up refusal stops it alone, with its one-line reason."""
    try:
        await start()
    except StartFailed as exc:
        print(f"error: {name}: {exc}", file=sys.stderr)
        return EXIT_BAD_TOKEN
    except Exception:  # one front end's crash must not take the others down
        log.exception("the %s front end stopped", name)
        return 1
    return 0


class StartFailed(Exception):
    """A front end could not start or had to stop: its credentials were refused or its API was unreachable."""


async def _telegram(config: Config, engine: Engine, token: str, hook: str) -> None:
    from telegram.error import InvalidToken, NetworkError

    from .telegram.app import TokenWatch, build_application, open_chat, serve

    chat = open_chat(engine, config)
    # A token revoked while running: PTB only logs it and stops polling, so serve() would wait on,
    # answering nothing; the log is where it shows, as in the Telegram-alone process.
    loop, revoked = asyncio.get_running_loop(), asyncio.Event()
    watch = TokenWatch(lambda: loop.call_soon_threadsafe(revoked.set))
    logging.getLogger().addHandler(watch)
    app = build_application(chat, config.telegram, token)
    app.bot_data["watch"] = False  # the process watches the corpus (_run_all); Telegram only announces
    serving = asyncio.create_task(serve(app, config.telegram, hook))
    noticed = asyncio.create_task(revoked.wait())
    try:
        await asyncio.wait([serving, noticed], return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            serving.result()  # its start-up error, if any
        else:
            serving.cancel()  # stops the updater and the application
            await asyncio.gather(serving, return_exceptions=True)
            raise StartFailed(f"the Bot API at {config.telegram.base_url} rejected TELEGRAM_BOT_TOKEN "
                              "while running (revoked?); check it with @BotFather")
    except InvalidToken:
        raise StartFailed(f"the Bot API at {config.telegram.base_url} rejected TELEGRAM_BOT_TOKEN; "
                          "check it with @BotFather") from None
    except NetworkError as exc:
        raise StartFailed(f"cannot reach the Bot API at {config.telegram.base_url}: {exc}") from None
    finally:
        for task in (serving, noticed):
            task.cancel()
        await asyncio.gather(serving, noticed, return_exceptions=True)
        logging.getLogger().removeHandler(watch)
        chat.close()


async def _slack(config: Config, engine: Engine, secrets: Secrets) -> None:
    from .slack.app import StartError, run

    if missing := secrets.missing(config.slack):
        raise StartFailed(f"{missing} is not set ([slack] mode = {config.slack.mode!r})")
    try:
        await run(config, secrets, engine)
    except StartError as exc:
        raise StartFailed(str(exc)) from None
