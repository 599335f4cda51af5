"""The Slack listeners: mentions, thread follow-ups, DMs, /ask, /coverage, /follow, buttons, the App Home."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from index.config import SlackConfig

from ..chat import Answered, ChatService, Key, Refused
from ..pacing import Pacer
from .blocks import (
    MAX_BLOCKS,
    answer_blocks,
    escape,
    fallback,
    home_view,
    passage_messages,
    read_value,
    sections,
)
from .commands import coverage_command
from .follow import on_follow, on_unfollow
from .streaming import SlackDraft

log = logging.getLogger(__name__)

BROKEN = "Sorry, something went wrong on my side. Please try again in a moment."
ASK_USAGE = "Put the question after the command, e.g. `/ask how many people were detained?`"
TOO_OLD = "That answer is too old to use here; please ask again."
THANKS = "Thanks: your feedback is noted."
WORKING = "eyes"  # the 👀 reaction while an answer is being worked out
# What chat.post* answer in a channel the bot is not in: only a command's response_url reaches it.
OUTSIDE = {"channel_not_found", "not_in_channel"}


@dataclass(frozen=True)
class Place:
    """Where a question was asked and where its answer goes."""

    channel: str
    ts: str | None  # the asking message (for 👀); None for /ask
    thread: str | None  # the thread to answer in; None in a DM
    key: Key
    user: str
    ephemeral: bool = False  # /ask: the answer is seen by the asker alone
    respond: Callable[..., Awaitable[Any]] | None = field(default=None, compare=False)  # Bolt's respond()


class Seen:
    """The messages already taken up, so the app_mention and its `message` twin are answered once."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.size = size

    def first(self, channel: str, ts: str) -> bool:
        if (channel, ts) in self._seen:
            return False
        self._seen[(channel, ts)] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


def register(app: AsyncApp, chat: ChatService, settings: SlackConfig) -> None:
    """Every listener on `app`; the core, settings and seen-set reach them through the context."""
    seen, pacer = Seen(), Pacer()  # the pacer: each channel's and thread's update budget

    @app.middleware
    async def skip_retries(req: Any, resp: BoltResponse, next: Any) -> BoltResponse | None:
        # Slack redelivers an event it thinks we missed; the first delivery was acked and is answered.
        # Socket Mode marks the first delivery too, with retry_attempt 0.
        if int((req.headers.get("x-slack-retry-num") or ["0"])[0] or 0) > 0:
            return BoltResponse(status=200, body="")
        req.context["chat"], req.context["slack"], req.context["seen"] = chat, settings, seen
        req.context["pacer"] = pacer
        return await next()

    app.event("app_mention")(on_mention)
    app.event("message")(on_message)
    app.event("app_home_opened")(on_home)
    app.command("/ask")(on_ask)
    app.command("/coverage")(coverage_command)
    app.command("/follow")(on_follow)
    app.command("/unfollow")(on_unfollow)
    app.action("passages")(on_passages)
    app.action(re.compile(r"^feedback_(up|down)$"))(on_feedback)
    app.action("share")(on_share)
    app.error(on_error)


def _bot_like(event: dict[str, Any]) -> bool:
    return bool(event.get("bot_id") or event.get("subtype") == "bot_message")


def _in_scope(settings: SlackConfig, channel: str) -> bool:
    return not settings.channels or channel in settings.channels


def _question(text: str, bot_user: str | None) -> str:
    """The question without the bot's own mention (another person's mention may be part of it)."""
    return re.sub(rf"<@{re.escape(bot_user or '-')}(\|[^>]*)?>", " ", text or "").strip()


async def on_mention(event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    """A mention in a channel: answered in a thread under the asking message (or in its thread)."""
    if _bot_like(event) or not _in_scope(context["slack"], event["channel"]):
        return
    root = event.get("thread_ts") or event["ts"]
    place = Place(event["channel"], event["ts"], root, (event["channel"], root), event.get("user", ""))
    await answer(context, client, place, _question(event.get("text", ""), context.bot_user_id))


async def on_message(event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    """A DM is always a question; in a channel, only a reply in one of the bot's threads is."""
    if _bot_like(event) or event.get("subtype") or not event.get("user"):
        return  # edits, deletions, joins... and other bots
    channel, text = event["channel"], event.get("text", "")
    if event.get("channel_type") == "im":
        place = Place(channel, event["ts"], None, (channel,), event["user"])
        await answer(context, client, place, _question(text, context.bot_user_id))
        return
    root = event.get("thread_ts")
    mentioned = f"<@{context.bot_user_id}" in text
    if mentioned or not root or root == event["ts"] or not _in_scope(context["slack"], channel):
        return  # mentions are app_mention's; a top-level channel message is not for the bot
    if await _bot_thread(context, client, channel, root):
        await answer(context, client, Place(channel, event["ts"], root, (channel, root), event["user"]),
                     _question(text, context.bot_user_id))


async def _bot_thread(context: AsyncBoltContext, client: AsyncWebClient, channel: str, root: str) -> bool:
    """Whether the bot answered in this thread: from the state, else from the thread itself."""
    if context["chat"].sources((channel, root)) is not None:
        return True
    try:
        replies = await client.conversations_replies(channel=channel, ts=root, limit=200)
    except SlackApiError as exc:
        log.warning("cannot read thread %s in %s: %s", root, channel, exc.response.get("error"))
        return False
    return any(m.get("user") == context.bot_user_id or m.get("bot_id") == context.bot_id
               for m in replies.get("messages", []))


async def answer(context: AsyncBoltContext, client: AsyncWebClient, place: Place, question: str) -> None:
    """Ask the core with 👀 on the question meanwhile; post the answer, a refusal, or that it failed.

    A writing model's tokens go into a draft message updated in place (not under /ask: an
    ephemeral message cannot be updated), which the answer then replaces."""
    if place.ts and not context["seen"].first(place.channel, place.ts):
        return
    chat: ChatService = context["chat"]
    working = chat.access.allowed(place.user, place.channel)  # no 👀 for an outsider: only a refusal
    draft = None if place.ephemeral else SlackDraft(client, context["pacer"], place.channel, place.thread)
    if working:
        await _react(client, "reactions_add", place)
    try:
        reply = await chat.ask(place.key, question, place.user, place.channel,
                               on_token=draft.on_token if draft else None)
        if isinstance(reply, Answered):
            blocks = answer_blocks(reply.answer, reply.answer_id, place.key, share=place.ephemeral)
            await deliver(client, place, draft, fallback(reply.answer), blocks)
        elif not isinstance(reply, Refused) or reply.tell:
            await post(client, place, escape(reply.message), sections(reply.message),
                       ephemeral=isinstance(reply, Refused) and place.thread is not None)
    except Exception:
        log.exception("cannot answer in %s", place.channel)
        await _tell_broken(client, place)
    finally:
        if working:
            await _react(client, "reactions_remove", place)


async def deliver(client: AsyncWebClient, place: Place, draft: SlackDraft | None, text: str,
                  blocks: list[dict[str, Any]]) -> None:
    """The answer into its streamed draft when there is one, else posted as usual."""
    if draft is None or not await draft.finish(text, blocks):
        await post(client, place, text, blocks)


async def post(client: AsyncWebClient, place: Place, text: str, blocks: list[dict[str, Any]],
               ephemeral: bool | None = None) -> None:
    """One message to the place: in its thread, and to the asker alone when ephemeral."""
    private = place.ephemeral if ephemeral is None else ephemeral
    try:
        if private:
            await client.chat_postEphemeral(channel=place.channel, user=place.user, text=text, blocks=blocks,
                                            thread_ts=place.thread)
        else:
            await client.chat_postMessage(channel=place.channel, text=text, blocks=blocks,
                                          thread_ts=place.thread, unfurl_links=False, unfurl_media=False)
    except SlackApiError as exc:
        if place.respond is None or exc.response.get("error") not in OUTSIDE:
            raise
        await place.respond(text=text, blocks=blocks, replace_original=False,
                            response_type="ephemeral" if private else "in_channel")


async def _tell_broken(client: AsyncWebClient, place: Place) -> None:
    try:
        await post(client, place, escape(BROKEN), sections(BROKEN))
    except Exception as exc:  # noqa: BLE001 - nothing more to tell anyone
        log.warning("could not tell the user about the error: %s", exc)


async def _react(client: AsyncWebClient, method: str, place: Place) -> None:
    """The 👀 is a courtesy: its failure (no reactions:write, already there) never stops an answer."""
    if not place.ts:
        return
    try:
        await getattr(client, method)(channel=place.channel, timestamp=place.ts, name=WORKING)
    except SlackApiError as exc:
        log.info("%s failed: %s", method, exc.response.get("error"))


async def on_ask(ack: Any, command: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient,
                 respond: Any) -> None:
    """/ask <question>: restated at once (the ack), answered to the asker alone with a Share button."""
    question = (command.get("text") or "").strip()
    if not question:
        await ack(ASK_USAGE)
        return
    await ack(f"You asked: {question}")
    channel, user = command["channel_id"], command["user_id"]
    place = Place(channel, None, None, (channel, "ask", user), user, ephemeral=True, respond=respond)
    await answer(context, client, place, question)


async def on_share(ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                   client: AsyncWebClient, respond: Any) -> None:
    """Share in channel: the /ask answer posted for everyone, with its own buttons."""
    await ack()
    answer_id, key = read_value(action["value"])
    found = context["chat"].sources(key, answer_id)
    channel, user = body["channel"]["id"], body["user"]["id"]
    place = Place(channel, None, None, key, user, respond=respond)
    if found is None:
        await post(client, place, TOO_OLD, sections(TOO_OLD), ephemeral=True)
        return
    shared = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<@{user}> asked: "
                                               f"{escape(found.question)}", "verbatim": True}]}
    blocks = answer_blocks(found, answer_id, key)
    await post(client, place, fallback(found), [shared, *blocks[-(MAX_BLOCKS - 1):]])


async def on_passages(ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                      client: AsyncWebClient) -> None:
    """Show passages: the cited passages, in the answer's thread (to the presser alone under /ask)."""
    await ack()
    answer_id, key = read_value(action["value"])
    found = context["chat"].sources(key, answer_id)
    ephemeral = bool(body.get("container", {}).get("is_ephemeral"))
    place = Place(body["channel"]["id"], None, _thread_of(key, body), key, body["user"]["id"], ephemeral)
    if found is None:
        await post(client, place, TOO_OLD, sections(TOO_OLD), ephemeral=True)
        return
    for blocks in passage_messages(found):
        await post(client, place, escape("Passages: " + found.question[:200]), blocks)


def _thread_of(key: Key, body: dict[str, Any]) -> str | None:
    """Where a button's reply goes: the answer's thread in a channel, under a shared /ask answer, or
    nowhere in particular (a DM, or an ephemeral answer, which cannot have a thread)."""
    if len(key) == 2:  # (channel, thread root)
        return key[1]
    container = body.get("container", {})
    if len(key) == 3 and not container.get("is_ephemeral"):  # (channel, "ask", user), shared
        return container.get("message_ts") or None
    return None


async def on_feedback(ack: Any, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext,
                      client: AsyncWebClient) -> None:
    """👍 / 👎: stored with the answer through the core, acknowledged to the presser alone."""
    await ack()
    answer_id, key = read_value(action["value"])
    user = body["user"]["id"]
    rating = action["action_id"].removeprefix("feedback_")
    noted = context["chat"].feedback(key, answer_id, user, rating)
    place = Place(body["channel"]["id"], None, _thread_of(key, body), key, user)
    text = THANKS if noted else TOO_OLD
    await post(client, place, escape(text), sections(text), ephemeral=True)


async def on_home(event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient) -> None:
    """The App Home tab, published each time it is opened so its figures are current."""
    if event.get("tab", "home") != "home":
        return
    chat: ChatService = context["chat"]
    stats = await chat.about()
    admin = chat.access.is_admin(event["user"])
    await client.views_publish(user_id=event["user"], view=home_view(stats, admin))


async def on_error(error: Exception, body: dict[str, Any]) -> None:
    """Bolt's last resort: the traceback goes to the (redacted) log, the user hears nothing more."""
    log.error("error while handling a %s request", body.get("type", "Slack"), exc_info=error)
