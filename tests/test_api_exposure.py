"""An admin API reachable from the network needs a token someone set on purpose."""

from __future__ import annotations

import logging

import pytest
from kassa.api.exposure import check_exposure, is_loopback
from kassa.config import parse
from kassa.errors import ConfigError
from kassa.testing import make_hub

pytestmark = pytest.mark.anyio


def test_loopback_forms():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("kassa.example")


def test_network_host_without_token_is_refused():
    api = parse({"api": {"host": "0.0.0.0"}}).api
    with pytest.raises(ConfigError, match=r"api\.host: .*set api\.token explicitly"):
        check_exposure(api)
    check_exposure(parse({"api": {"host": "0.0.0.0", "enabled": False}}).api)  # nothing served


async def test_hub_refuses_to_start_and_warns_with_a_token(tmp_path, caplog):
    with pytest.raises(ConfigError, match="reachable from the network"):
        async with make_hub({"api": {"host": "0.0.0.0", "port": 0, "token": ""}}, tmp_path,
                            api=True):
            pass
    caplog.set_level(logging.WARNING, logger="kassa.api")
    cfg = {"api": {"host": "0.0.0.0", "port": 0, "token": "a-long-operator-token"}}
    async with make_hub(cfg, tmp_path, api=True) as hub:
        assert hub.api_port
    assert "reachable from the network" in caplog.text
    assert "a-long-operator-token" not in caplog.text
