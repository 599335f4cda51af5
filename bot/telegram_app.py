"""Builds the python-telegram-bot Application: handlers, rate limiter, per-chat ordering, commands."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from . import handlers
from .conversations import Conversations
from .delivery import ChatOrderedProcessor, RetryingRateLimiter
from .service import CoverageService

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("ask", "Ask about the coverage"),
    BotCommand("sources", "The quoted passages behind the last answer"),
    BotCommand("new", "Forget this conversation and start afresh"),
    BotCommand("start", "What the bot covers"),
    BotCommand("help", "How to ask"),
]
ADMIN_COMMANDS = [
    BotCommand("reindex", "Rebuild the index from the corpus"),
    BotCommand("stats", "What the index holds"),
]


def build_application(service: CoverageService, token: str) -> Application:
    """The bot, ready for run_polling() or run_webhook(); talks to `[telegram] base_url`."""
    settings = service.config.telegram
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.base_url)
        .rate_limiter(RetryingRateLimiter(max_retries=3))
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(register_commands)
        .build()
    )
    app.bot_data.update(
        service=service, settings=settings,
        conversations=Conversations(settings.history_turns, settings.history_minutes))
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
    app.add_handler(CommandHandler("reindex", handlers.reindex, filters=new_message))
    app.add_handler(CommandHandler("stats", handlers.stats, filters=new_message))
    app.add_handler(CallbackQueryHandler(handlers.sources_button, pattern=r"^src:"))
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
        for admin in app.bot_data["settings"].admins:
            await app.bot.set_my_commands(COMMANDS + ADMIN_COMMANDS, scope=BotCommandScopeChat(admin))
    except TelegramError as exc:  # a missing menu is no reason not to answer
        log.warning("could not register the command menu: %s", exc)
