"""The Telegram handlers: one async function per command or kind of message, over the chat core."""

from __future__ import annotations

import logging
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.error import TelegramError, TimedOut
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from index import CoverageError

from ..chat import REFUSAL, Answered, ChatService, Key, Refused
from ..text import display_time, status_lines
from .delivery import send_blocks, typing
from .formatting import Block, answer_blocks, passage_blocks
from .streaming import TelegramDraft

log = logging.getLogger(__name__)

HELP = ("Ask me about the news coverage I hold, in plain words, e.g. “how many were detained?”. "
        "I answer only from that coverage, with numbered sources; when it does not say, I tell you.\n\n"
        "Follow-up questions (“what did he say next?”) lean on the last few answers; /new starts afresh.\n"
        "In groups, mention me, reply to one of my messages, or use /ask <question>.\n\n"
        "/ask <question> – ask\n/sources – the quoted passages behind the last answer\n"
        "/follow – post new posts here as they arrive; /unfollow – stop\n"
        "/new – forget this conversation\n/help – this text")
ADMIN_HELP = "\n\nAdmins: /reindex – rebuild from the corpus; /stats – what the index holds"
ASK_USAGE = "Put the question after the command, e.g. /ask how many people were detained?"
TEXT_ONLY = "I can only read text: please type your question."
NO_SOURCES = "There is no answer in this conversation yet: ask a question first."
TOO_OLD = "That answer is too old to show its sources; please ask again."
ADMINS_ONLY = "Only the bot's admins can use that command."
THANKS = "Thanks: your feedback is noted."
FOLLOWING = ("Following: new posts will appear here as they arrive (at most one message a minute). "
             "/unfollow stops it.")
BROKEN = "Sorry, something went wrong on my side. Please try again in a moment."


def core(context: ContextTypes.DEFAULT_TYPE | Application) -> ChatService:
    """The chat core, kept in bot_data (with the streaming Pacer)."""
    return context.bot_data["chat"]


def _thread(message: Message) -> int | None:
    """The forum topic a reply must go to (None outside forum topics)."""
    return message.message_thread_id if message.is_topic_message else None


def _key(message: Message) -> Key:
    return message.chat_id, _thread(message) or 0


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str = "",
               blocks: list[Block] | None = None) -> None:
    """Reply in the asker's chat and topic; in groups, as a reply to the asking message."""
    message = update.effective_message
    group = message.chat.type != "private"
    await send_blocks(context.bot, message.chat_id, blocks or [Block(escape(text), text)],
                      thread_id=_thread(message), reply_to=message.message_id if group else None)


def _mentions_me(message: Message, username: str) -> bool:
    return any(text.lower() == f"@{username}".lower()
               for text in message.parse_entities([MessageEntity.MENTION]).values())


def _replies_to_me(message: Message, bot_id: int) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


def _addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether a message is meant for the bot: always in private, and in groups only when aimed at it."""
    if message.chat.type == "private":
        return True
    if message.chat.type == "channel":  # posts to everyone who reads it, never to the bot
        return False
    text = message.text or ""
    return (text.startswith("/") or _mentions_me(message, context.bot.username)
            or _replies_to_me(message, context.bot.id))


def _user_id(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


async def answer_question(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    message = update.effective_message
    chat = core(context)
    group = message.chat.type != "private"
    draft = TelegramDraft(context.bot, context.bot_data["pacer"], message.chat_id, _thread(message),
                          message.message_id if group else None)
    async with typing(context.bot, message.chat_id, _thread(message), busy=chat.busy):
        reply = await chat.ask(_key(message), question, _user_id(update), message.chat_id,
                               on_token=draft.on_token)
    if not isinstance(reply, Answered):
        if not isinstance(reply, Refused) or reply.tell:
            await _say(update, context, reply.message)
        return
    answer = reply.answer
    markup = None
    if answer.citations:
        markup = InlineKeyboardMarkup([[
            InlineKeyboardButton("Sources", callback_data=f"src:{reply.answer_id}"),
            InlineKeyboardButton("👍", callback_data=f"fb:up:{reply.answer_id}"),
            InlineKeyboardButton("👎", callback_data=f"fb:down:{reply.answer_id}"),
        ]])
    await draft.finish(answer_blocks(answer), markup)


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a private chat, every text message is a question."""
    await answer_question(update, context, update.effective_message.text)


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In a group, answer only when mentioned or replied to; otherwise stay silent."""
    message = update.effective_message
    mentioned = _mentions_me(message, context.bot.username)
    if not mentioned and not _replies_to_me(message, context.bot.id):
        return
    question = message.text
    if mentioned:
        question = re.sub(rf"@{re.escape(context.bot.username)}\b", " ", question, flags=re.I)
    await answer_question(update, context, question)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    question = " ".join(context.args or [])
    if not question.strip():
        await _say(update, context, ASK_USAGE)
        return
    await answer_question(update, context, question)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, stickers, voice...: a short note in private or when aimed at the bot; else nothing."""
    if _addressed(update.effective_message, context):
        await _say(update, context, TEXT_ONLY)


async def unknown(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(update, context, "I don't know that command. /help lists what I can do.")


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    answer = core(context).sources(_key(update.effective_message))
    if answer is None:
        await _say(update, context, NO_SOURCES)
        return
    await _say(update, context, blocks=passage_blocks(answer))


async def sources_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    answer = None
    if isinstance(query.message, Message):  # the button's message is in the conversation it answered
        answer = core(context).sources(_key(query.message), (query.data or "").removeprefix("src:"))
    if answer is None:
        await query.answer(TOO_OLD)
        return
    await query.answer()
    message = query.message
    await send_blocks(context.bot, message.chat_id, passage_blocks(answer),
                      thread_id=message.message_thread_id, reply_to=message.message_id)


async def feedback_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍 or 👎 under an answer: stored with the answer, acknowledged to the presser alone."""
    query = update.callback_query
    _, rating, answer_id = (query.data or "").split(":", 2)
    noted = isinstance(query.message, Message) and core(context).feedback(
        _key(query.message), answer_id, query.from_user.id, rating)
    await query.answer(THANKS if noted else TOO_OLD)


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press whose data we never sent (forged, or from an older bot): answered, so the client's
    spinner stops; nothing is posted."""
    await update.callback_query.answer()


async def new(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    core(context).reset(_key(update.effective_message))
    await _say(update, context, "Started afresh: the next question will not lean on earlier answers.")


async def follow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Only allowed chats get here: the gate (group -2) has refused the others."""
    fresh = core(context).follow(_key(update.effective_message))
    await _say(update, context, FOLLOWING if fresh else "This chat already follows the coverage. "
               "/unfollow stops it.")


async def unfollow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    was = core(context).unfollow(_key(update.effective_message))
    await _say(update, context, "Stopped: no more new posts here." if was
               else "This chat does not follow the coverage; /follow starts it.")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    stats = await core(context).about()
    newest = display_time(stats.newest)
    covers = (f"I hold {_count(stats.articles, 'article')} with {_count(stats.posts, 'post')}"
              + (f"; the newest update is from {newest}." if newest else "; their dates are not known."))
    admin = core(context).access.is_admin(_user_id(update))
    await _say(update, context, f"{covers}\n\n{HELP}" + (ADMIN_HELP if admin else ""))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    admin = core(context).access.is_admin(_user_id(update))
    await _say(update, context, HELP + (ADMIN_HELP if admin else ""))


async def only_admins(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before the admin commands (group -1): anyone else is told no, and stopped there."""
    if core(context).access.is_admin(_user_id(update)):
        return
    await _say(update, context, ADMINS_ONLY)
    raise ApplicationHandlerStop


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    status = await core(context).status()
    lines = status_lines(status, "Last /reindex")
    await _say(update, context, "\n".join(lines))


async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if core(context).reindexing:
        await _say(update, context, "A reindex is already running; I'll say when it is done.")
        return
    await _say(update, context, "Reindexing the corpus. I keep answering from the current index meanwhile.")
    # In the background: this chat's other updates must not wait for the build.
    context.application.create_task(_reindex(update, context), update=update, name="reindex")


async def _reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        report = await core(context).reindex()
    except Exception as exc:  # CoverageError or not: the admin asked, so the admin hears why
        log.exception("reindex failed")
        reason = str(exc) if isinstance(exc, CoverageError) else f"{type(exc).__name__}: {exc}"
        await _say(update, context, f"The reindex failed: {reason}. Answers still come from the old index.")
        return
    problems = f"\n{len(report.problems)} file(s) skipped: " + "; ".join(report.problems[:5]) \
        if report.problems else ""
    await _say(update, context, f"Reindexed: {report.summary()}.{problems}")


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs first (group -2): outside the allowlists, one polite refusal, then nothing at all."""
    access = core(context).access
    user = _user_id(update)
    chat = update.effective_chat.id if update.effective_chat else None
    if access.allowed(user, chat):
        return
    if update.callback_query:
        await update.callback_query.answer(REFUSAL)
    elif (update.effective_message and _addressed(update.effective_message, context)
          and access.refuse_once(user, chat)):
        await _say(update, context, REFUSAL)
    log.info("refused an update from user %s in chat %s", user, chat)
    raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the traceback (the log handler redacts the token); tell the user only that it failed."""
    log.error("error while handling an update", exc_info=context.error)
    # A reply that timed out has often been delivered all the same: an apology after it would be a
    # second reply to one message (bench.reliability faults counted them).
    if isinstance(context.error, TimedOut):
        return
    if isinstance(update, Update) and update.effective_message:
        try:
            await _say(update, context, BROKEN)
        except TelegramError as exc:
            log.warning("could not tell the user about the error: %s", exc)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"
