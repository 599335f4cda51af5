"""The python-telegram-bot Application, built and run: handlers, rate limiter, per-chat order, menus."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import secrets
import sys
from collections.abc import Callable

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from index import Config, Engine, TelegramConfig

from .. import follow, live
from ..chat import ChatService, Key
from ..follow import Line
from ..logs import setup_logging
from ..pacing import Pacer
from . import handlers
from .delivery import ChatOrderedProcessor, RetryingRateLimiter, send_blocks
from .formatting import follow_blocks

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("ask", "Ask about the coverage"),
    BotCommand("sources", "The quoted passages behind the last answer"),
    BotCommand("new", "Forget this conversation and start afresh"),
    BotCommand("follow", "Post new posts here as they arrive"),
    BotCommand("unfollow", "Stop posting new posts here"),
    BotCommand("start", "What the bot covers"),
    BotCommand("help", "How to ask"),
]
ADMIN_COMMANDS = [
    BotCommand("reindex", "Rebuild the index from the corpus"),
    BotCommand("stats", "What the index holds"),
]


def open_chat(engine: Engine, config: Config) -> ChatService:
    """The chat core with Telegram's allowlists and admins."""
    settings = config.telegram
    return ChatService.open(engine, config, "telegram", admins=settings.admins,
                            allowed_users=settings.allowed_users, allowed_places=settings.allowed_chats)


def build_application(chat: ChatService, settings: TelegramConfig, token: str) -> Application:
    """The bot, ready for run_polling() or run_webhook(); talks to `[telegram] base_url`."""
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .rate_limiter(RetryingRateLimiter(max_retries=3))
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(on_start)
        .post_stop(stop_live)
        .build()
    )
    app.bot_data["chat"] = chat
    app.bot_data["pacer"] = Pacer()  # the chats' edit budgets, shared by every streamed answer
    add_handlers(app)
    return app


def add_handlers(app: Application) -> None:
    new_message = filters.UpdateType.MESSAGE  # edits of old questions are not re-answered
    app.add_handler(TypeHandler(Update, handlers.gate), group=-2)
    app.add_handler(CommandHandler(["reindex", "stats"], handlers.only_admins), group=-1)
    app.add_handler(CommandHandler("start", handlers.start, filters=new_message))
    app.add_handler(CommandHandler("help", handlers.help_command, filters=new_message))
    app.add_handler(CommandHandler("ask", handlers.ask, filters=new_message))
    app.add_handler(CommandHandler("sources", handlers.sources, filters=new_message))
    app.add_handler(CommandHandler("new", handlers.new, filters=new_message))
    app.add_handler(CommandHandler("follow", handlers.follow, filters=new_message))
    app.add_handler(CommandHandler("unfollow", handlers.unfollow, filters=new_message))
    app.add_handler(CommandHandler("reindex", handlers.reindex, filters=new_message))
    app.add_handler(CommandHandler("stats", handlers.stats, filters=new_message))
    app.add_handler(CallbackQueryHandler(handlers.sources_button, pattern=r"^src:"))
    app.add_handler(CallbackQueryHandler(handlers.feedback_button, pattern=r"^fb:(up|down):"))
    app.add_handler(CallbackQueryHandler(handlers.unknown_button))  # any other data
    text = new_message & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(text & filters.ChatType.PRIVATE, handlers.private_text))
    app.add_handler(MessageHandler(text & filters.ChatType.GROUPS, handlers.group_text))
    app.add_handler(MessageHandler(new_message & ~filters.TEXT, handlers.not_text))
    private_command = new_message & filters.COMMAND & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private_command, handlers.unknown))
    app.add_error_handler(handlers.on_error)


async def register_commands(app: Application) -> None:
    """The command menu: everyone's, and the admins' with /reindex and /stats."""
    try:
        await app.bot.set_my_commands(COMMANDS)
        for admin in sorted(handlers.core(app).access.admins):
            await app.bot.set_my_commands(COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(int(admin)))
    except TelegramError as exc:  # a missing menu is no reason not to answer
        log.warning("could not register the command menu: %s", exc)


async def on_start(app: Application) -> None:
    await register_commands(app)
    start_live(app, watch=app.bot_data.get("watch", True))


def start_live(app: Application, watch: bool = True) -> None:
    """The announcer for /follow, and with watch the process's corpus watcher and sources (bot.live):
    new files are answerable without /reindex. watch=False where the process runs them already.

    Plain asyncio tasks, not app.create_task(): PTB awaits its own tasks at stop, and these
    run until told to stop (in stop_live).
    """
    if "live" in app.bot_data:
        return
    stop = asyncio.Event()
    chat = handlers.core(app)
    tasks = live.start(chat.service, stop) if watch else []
    tasks.append(asyncio.create_task(follow.announce(chat, functools.partial(_send_news, app), stop,
                                                     lambda key: chat.access.allowed(key[0], key[0])),
                                     name="announce"))
    app.bot_data["live"] = (stop, tasks)


async def _send_news(app: Application, key: Key, lines: list[Line], more: int) -> None:
    chat_id, thread = key
    await send_blocks(app.bot, chat_id, follow_blocks(lines, more), thread_id=thread or None)


async def stop_live(app: Application) -> None:
    await live.finish(*app.bot_data.pop("live", (None, [])))


def webhook_secret() -> str:
    """The webhook secret is ours alone: we hand it to Telegram and check it on every call."""
    return os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or secrets.token_urlsafe(32)


async def serve(app: Application, settings: TelegramConfig, secret: str) -> None:
    """What run_polling()/run_webhook() do, on a loop shared with other front ends, until cancelled.

    Raises InvalidToken or NetworkError at start-up, as they do.
    """
    async with app:
        await on_start(app)
        if settings.webhook_url:
            await app.updater.start_webhook(
                listen=settings.webhook_listen, port=settings.webhook_port, url_path="telegram",
                webhook_url=settings.webhook_url.rstrip("/") + "/telegram", secret_token=secret,
                allowed_updates=Update.ALL_TYPES)
        else:
            await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await app.start()
        try:
            await asyncio.Event().wait()
        finally:
            await stop_live(app)
            await app.updater.stop()
            await app.stop()


class TokenWatch(logging.Handler):
    """Notices a token rejected while running, from the InvalidToken that PTB logs.

    PTB's polling loop logs "Invalid token. Aborting retry loop." and stops, but run_polling()
    goes on, so the process would live on answering nothing; a handler's InvalidToken (say, on
    a webhook) reaches the log through on_error. Either way the log is where it shows.
    """

    def __init__(self, on_revoked: Callable[[], None]) -> None:
        super().__init__()
        self.on_revoked = on_revoked
        self.revoked = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.revoked or not record.exc_info or not isinstance(record.exc_info[1], InvalidToken):
            return
        self.revoked = True
        self.on_revoked()


def main(config: Config, token: str) -> int:
    """Long polling by default; a webhook (with a secret token) when `[telegram] webhook_url` is set.

    Returns 3 when the token is rejected, at start-up or later (revoked), so a service manager
    sees the failure instead of a process that no longer answers.
    """
    secret = webhook_secret()
    setup_logging(token, secret, config.llm.api_key())
    settings = config.telegram
    chat = open_chat(Engine(config), config)
    app = build_application(chat, settings, token)
    watch = TokenWatch(app.stop_running)  # runs on the event loop, where stop_running() must be called
    logging.getLogger().addHandler(watch)
    try:
        if settings.webhook_url:
            app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                            url_path="telegram", webhook_url=settings.webhook_url.rstrip("/") + "/telegram",
                            secret_token=secret, allowed_updates=Update.ALL_TYPES)
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
        logging.getLogger().removeHandler(watch)
        chat.close()
    if watch.revoked:
        print(f"error: the Bot API at {settings.base_url} rejected TELEGRAM_BOT_TOKEN while running "
              "(revoked?); check it with @BotFather", file=sys.stderr)
        return 3
    return 0
