"""Store, bus and relay URLs carry passwords: they are secrets that still say where they point."""

from __future__ import annotations

import logging

import pytest
from kassa.config import parse
from kassa.secret import SecretURL, mask_url, redact


def test_mask_url_forms():
    assert mask_url("nats://user:pw123@centre:4222") == "nats://user:***@centre:4222"
    assert mask_url("nats://s3cr3t-token@centre:4222") == "nats://***@centre:4222"
    assert mask_url("postgresql+psycopg://kassa:p%40ss@db/kassa") == \
        "postgresql+psycopg://kassa:***@db/kassa"
    assert mask_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
    assert mask_url("") == ""


def test_urls_in_config_are_secret(tmp_path):
    s = parse({"relay": {"url": "nats://site7:relay-pass@centre:4222"},
               "bus": {"backend": "nats", "url": "nats://tok-123456@127.0.0.1:4222"},
               "store": {"url": "postgresql://kassa:db-pass@127.0.0.1/kassa"}})
    assert isinstance(s.relay.url, SecretURL)
    assert s.relay.url.reveal() == "nats://site7:relay-pass@centre:4222"
    shown = f"{s.relay.url} {s.bus.url} {s.store.url} {s!r}"
    for secret in ("relay-pass", "tok-123456", "db-pass"):
        assert secret not in shown
    assert "centre:4222" in shown  # still says where it connects
    assert s.store_url == "postgresql://kassa:db-pass@127.0.0.1/kassa"


def test_redaction_hides_a_url_password_quoted_alone():
    url = SecretURL("nats://site7:relay-pass@centre:4222")
    line = "nats: authorization violation for password relay-pass"
    assert redact(line, url.redactable()) == "nats: authorization violation for password ***"
    # the user name is no secret: ordinary words stay
    assert "site7" in redact("site7 connected", url.redactable())


@pytest.mark.anyio
async def test_hub_logs_the_relay_url_without_its_password(tmp_path, caplog):
    from kassa.hub import Hub
    from kassa.testing import make_hub

    cfg = {"relay": {"url": "nats://site7:relay-pass@127.0.0.1:1"},
           "hub": {"data_dir": str(tmp_path)}}
    caplog.set_level(logging.INFO, logger="kassa")
    async with make_hub(cfg, tmp_path) as hub:
        assert isinstance(hub, Hub)
        assert "relay-pass" in hub.secret_values()
    text = caplog.text
    assert "relaying events to the centre at nats://site7:***@127.0.0.1:1" in text
    assert "relay-pass" not in text
