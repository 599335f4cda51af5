"""The Bolt AsyncApp, built and run: its Web API client, listeners, and Socket Mode or HTTP serving."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientError, web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_server import AsyncSlackAppServer
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from index import Config, Engine
from index.config import SlackConfig

from ..chat import ChatService
from ..live import finish
from .follow import announce
from .handlers import register
from .secrets import Secrets

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class StartError(Exception):
    """Slack refused the credentials or could not be reached at start-up: a one-line reason."""


def open_chat(engine: Engine, config: Config) -> ChatService:
    """The chat core with Slack's allowlist and admins; `[slack] channels` is scope, not access."""
    settings = config.slack
    return ChatService.open(engine, config, "slack", admins=settings.admins,
                            allowed_users=settings.allowed_users)


def web_client(settings: SlackConfig, token: str) -> AsyncWebClient:
    """The Web API client: `[slack] base_url`, and a 429 or a dropped connection retried, not doubled."""
    return AsyncWebClient(token=token, base_url=settings.base_url, retry_handlers=[
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
    ])


def build_app(chat: ChatService, settings: SlackConfig, secrets: Secrets) -> AsyncApp:
    """The Bolt app; request signatures are checked in HTTP mode (Socket Mode needs none)."""
    app = AsyncApp(client=web_client(settings, secrets.bot_token),
                   signing_secret=secrets.signing_secret or None,
                   request_verification_enabled=settings.mode == "http",
                   logger=logging.getLogger("slack_bolt.App"))
    register(app, chat, settings)
    return app


async def check_token(app: AsyncApp, settings: SlackConfig) -> None:
    """auth.test before serving, so a wrong token stops the front end at once with a clear line."""
    try:
        await app.client.auth_test()
    except SlackApiError as exc:
        raise StartError(f"the Web API at {settings.base_url} rejected SLACK_BOT_TOKEN "
                         f"({exc.response.get('error')}); check it under OAuth & Permissions") from None
    except (TimeoutError, ClientError, OSError) as exc:
        raise StartError(f"cannot reach the Web API at {settings.base_url}: {exc}") from None


async def serve(app: AsyncApp, settings: SlackConfig, secrets: Secrets) -> None:
    """Run until cancelled: Socket Mode by default, else an HTTP server for Slack's Events API."""
    await check_token(app, settings)
    if settings.mode == "http":
        runner = web.AppRunner(AsyncSlackAppServer(port=settings.port, path=EVENTS_PATH, app=app).web_app)
        await runner.setup()
        await web.TCPSite(runner, settings.listen, settings.port).start()
        log.info("Slack events served at http://%s:%s%s", settings.listen, settings.port, EVENTS_PATH)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
        return
    handler = AsyncSocketModeHandler(app, secrets.app_token)
    try:
        await handler.connect_async()
    except SlackApiError as exc:
        raise StartError(f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error')}); it needs "
                         "the connections:write scope") from None
    log.info("connected to Slack in Socket Mode")
    try:
        await asyncio.Event().wait()
    finally:
        await handler.close_async()


async def run(config: Config, secrets: Secrets, engine: Engine | None = None) -> None:
    """The Slack front end over `engine` (a new one if None) until cancelled; raises StartError.

    It announces new posts to its followers; the corpus is watched by the process (bot.live)."""
    chat = open_chat(engine or Engine(config), config)
    app, stop = build_app(chat, config.slack, secrets), asyncio.Event()
    announcing = asyncio.create_task(announce(app.client, chat, config.slack, stop), name="slack announce")
    try:
        await serve(app, config.slack, secrets)
    finally:
        await finish(stop, [announcing])
        chat.close()
