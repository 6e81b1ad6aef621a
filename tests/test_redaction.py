"""Redaction hides credentials where they stand, not every word that equals a short secret;
the console's Log screen sees the records the terminal shows."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from kassa.api.logbuffer import LOG_BUFFER
from kassa.secret import Secret, SecretURL, redact

PASSWORD = Secret("kassa")  # the r_keeper simulator's password in the demo


def test_a_short_password_leaves_ordinary_words() -> None:
    secrets = PASSWORD.redactable()
    assert redact("hub kassa running", secrets) == "hub kassa running"
    assert redact("kassa_rkeeper: cash server at http://127.0.0.1", secrets) == \
        "kassa_rkeeper: cash server at http://127.0.0.1"


def test_a_short_password_is_hidden_in_its_fields() -> None:
    secrets = PASSWORD.redactable()
    assert redact("login failed: password=kassa", secrets) == "login failed: password=***"
    assert redact("password 'kassa' refused", secrets) == "password '***' refused"
    assert redact("token: kassa.", secrets) == "token: ***."
    assert redact("GET http://admin:kassa@127.0.0.1/rk7api", secrets) == \
        "GET http://admin:***@127.0.0.1/rk7api"
    assert redact("password=kassa2", secrets) == "password=kassa2"  # another value


def test_a_url_and_a_long_token_are_hidden_anywhere() -> None:
    url = SecretURL("postgresql://kassa:kassa@db/kassa")
    token = Secret("8f2c1e9a7b3d4c5e6f708192")
    secrets = [*url.redactable(), *token.redactable()]
    line = f"store postgresql://kassa:kassa@db/kassa unreachable; sent {token.reveal()}x"
    assert redact(line, secrets) == "store *** unreachable; sent ***x"
    assert redact("hub kassa running", secrets) == "hub kassa running"


def test_the_log_buffer_has_what_the_terminal_shows() -> None:
    marker = f"clock differs ({uuid.uuid4().hex})"  # the buffer is a window: find ours
    # a plugin logs as its module, outside the "kassa" logger tree
    logging.getLogger("kassa_rkeeper.source").warning("site %s: %s", "r1", marker)
    got = [r for r in LOG_BUFFER.tail(2000, []) if marker in r["message"]]
    assert [(r["level"], r["logger"], r["message"]) for r in got] == [
        ("WARNING", "kassa_rkeeper.source", f"site r1: {marker}")]


@pytest.mark.anyio
async def test_the_admin_api_puts_the_buffer_back_after_a_logging_config(tmp_path: Any) -> None:
    """A logging config applied after the import (a Litestar app built with its default
    config replaces the root logger's handlers) drops the buffer; the hub's admin API puts it
    back. The drop is done by hand here: a real Litestar default config would also start its
    queue listener thread and reconfigure loggers for every later test in the process."""
    from kassa.testing import make_hub

    from tests.factories import CONFIG

    root = logging.getLogger()
    root.removeHandler(LOG_BUFFER)
    try:
        async with make_hub(CONFIG, tmp_path, api=True):
            assert LOG_BUFFER in root.handlers
    finally:
        if LOG_BUFFER not in root.handlers:
            root.addHandler(LOG_BUFFER)
