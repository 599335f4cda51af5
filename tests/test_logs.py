"""The bot's logging: secrets redacted from messages, arguments and tracebacks; httpx kept quiet."""

from __future__ import annotations

import io
import logging

from bot.logs import REDACTED, setup_logging

TOKEN = "4242:secret-token-value"


def test_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    out = io.StringIO()
    handler = setup_logging(TOKEN, "hook-secret", stream=out)
    log = logging.getLogger("test.logs")
    try:
        log.info("calling https://api.test/bot%s/getMe", TOKEN)
        log.warning("webhook secret is hook-secret")
        try:
            raise RuntimeError(f"request to /bot{TOKEN}/sendMessage failed")
        except RuntimeError:
            log.exception("delivery failed")
        logging.getLogger("httpx").info("HTTP Request: POST https://api.test/bot%s/getUpdates", TOKEN)
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert TOKEN not in text and "hook-secret" not in text
    assert f"/bot{REDACTED}/getMe" in text and f"/bot{REDACTED}/sendMessage failed" in text
    assert "Traceback" in text and "delivery failed" in text
    assert "getUpdates" not in text  # httpx at INFO is silenced altogether


def test_slack_token_shapes_are_redacted_even_when_not_passed_in() -> None:
    out = io.StringIO()
    handler = setup_logging("signing-secret-value", stream=out)
    try:
        logging.getLogger("slack_sdk.web").info(
            "auth with xoxb-1234-5678-abcdefgh and xapp-1-A01-99-ffee0011; secret signing-secret-value")
    finally:
        logging.getLogger().removeHandler(handler)
    text = out.getvalue()
    assert "xoxb-" not in text and "xapp-" not in text and "signing-secret-value" not in text
    assert text.count(REDACTED) == 3
