"""The bot token never shows up in exception texts, reprs or log records."""

from __future__ import annotations

import logging

import pytest
from kassa.errors import KassaError
from kassa.secret import Secret
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.client import BotClient
from kassa_telegram.settings import TelegramSettings
from kassa_telegram.sim import TelegramSim

from .conftest import settings_for

pytestmark = pytest.mark.anyio


async def test_token_never_leaks(sim: TelegramSim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = sim.token
    errors: list[BaseException] = []
    u = sim.create_user("Анна")
    channel = TelegramChannel(settings_for(sim), backoff_base=0.01)
    for kind in ("server_error", "bad_gateway", "drop_before", "drop_after", "flood"):
        sim.faults.add(kind)
        try:
            await channel.client.send_message(str(u.id), "x")
        except KassaError as err:
            errors.append(err)
    dead = BotClient(Secret(token), "http://127.0.0.1:9")
    try:
        await dead.get_me()
    except KassaError as err:
        errors.append(err)
    await dead.aclose()
    sim.revoke_token()
    try:
        await channel.client.get_me()
    except KassaError as err:
        errors.append(err)
    await channel.aclose()
    assert len(errors) == 7
    for error in errors:
        assert token not in str(error) and token not in repr(error)
        assert error.__cause__ is None or token not in str(error.__cause__)
    assert caplog.records, "httpx and our modules did log"
    for rec in caplog.records:
        assert token not in rec.getMessage()
        assert token not in (caplog.text or "")
    settings = TelegramSettings(token=Secret(token))
    assert token not in repr(settings) and token not in str(settings)


def test_a_malformed_token_is_a_config_error_that_does_not_echo_it() -> None:
    from kassa.config import parse
    from kassa.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse({"telegram": {"token": "12345 secret-ish"}},
              sections={"telegram": TelegramSettings})
    assert "telegram" in str(err.value) and "secret-ish" not in str(err.value)
