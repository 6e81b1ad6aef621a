"""The hook implementations, wired to the core's config loader."""

from types import SimpleNamespace
from typing import Any, cast

import kassa_max
import pytest
from kassa.config import parse
from kassa.errors import ConfigError
from kassa.hookspecs.app import Simulator
from kassa.hookspecs.notify import Channel
from kassa.testing import FakeClock
from kassa_max.channel import MaxChannel
from kassa_max.settings import DEFAULT_BASE_URL, Mode, packaged_ca

pytestmark = pytest.mark.anyio
SECTIONS = kassa_max.register_settings()


def hub_for(settings):
    state: dict[str, Any] = {}
    return SimpleNamespace(settings=settings, section=lambda name: settings.plugins.get(name),
                           state=lambda owner: state.setdefault(owner, {}), clock=FakeClock())


def test_the_channel_keeps_the_hubs_clock():
    hub = hub_for(parse({"max": {"token": "t"}}, sections=SECTIONS))
    (channel,) = kassa_max.register_channels(hub)
    hub.clock.advance(3600)
    assert channel.now() == hub.clock.now()  # Delivery.sent_at: a fake clock drives it


def test_defaults_and_secret_token():
    s = parse({"max": {"token": "${MAX_TOKEN}"}}, sections=SECTIONS, env={"MAX_TOKEN": "t0k3n"})
    m = s.plugins["max"]
    assert m.base_url == DEFAULT_BASE_URL and m.mode is Mode.POLLING
    assert m.token.reveal() == "t0k3n" and "t0k3n" not in repr(m)


def test_bad_mode_names_the_key():
    with pytest.raises(ConfigError, match=r"max\.mode.*polling, webhook"):
        parse({"max": {"mode": "push"}}, sections=SECTIONS)


def test_webhook_mode_needs_https_and_a_secret():
    s = parse({"max": {"token": "t", "mode": "webhook", "webhook": {"url": "http://x"}}},
              sections=SECTIONS)
    with pytest.raises(ConfigError, match=r"max\.webhook\.url"):
        kassa_max.register_channels(hub_for(s))


def test_missing_ca_bundle_is_a_config_error():
    s = parse({"max": {"token": "t", "ca_bundle": "/nowhere/ca.pem"}}, sections=SECTIONS)
    with pytest.raises(ConfigError, match=r"max\.ca_bundle"):
        kassa_max.register_channels(hub_for(s))


def test_packaged_ca_is_the_russian_trusted_root():
    text = packaged_ca().read_text()
    assert text.startswith("-----BEGIN CERTIFICATE-----\nMIIFwjCCA6qgAwIBAgICEAAw")
    import ssl
    ctx = ssl.create_default_context()
    ctx.load_verify_locations(cafile=str(packaged_ca()))
    # typeshed types every certificate field as one union; "subject" is its RDN tuple kind
    subjects = [dict(x[0] for x in cast("tuple[tuple[tuple[str, str]], ...]", c["subject"]))
                for c in ctx.get_ca_certs()]
    assert {"commonName": "Russian Trusted Root CA"}.items() <= next(
        s for s in subjects if s.get("commonName") == "Russian Trusted Root CA").items()


async def test_no_token_no_channel_and_a_token_gives_one():
    empty = parse({}, sections=SECTIONS)
    assert kassa_max.register_channels(hub_for(empty)) == []
    s = parse({"max": {"token": "t"}}, sections=SECTIONS)
    hub = hub_for(s)
    [ch] = kassa_max.register_channels(hub)
    assert isinstance(ch, Channel) and isinstance(ch, MaxChannel) and ch.name == "max"
    assert ch.limits.max_text == 3999 and ch.limits.per_bot_per_s <= 30
    await kassa_max.on_shutdown(hub)


async def test_a_hubs_shutdown_closes_its_own_channel_only():
    """Two hubs in one process (tests, the demo): each closes the channel it was given."""
    s = parse({"max": {"token": "t"}}, sections=SECTIONS)
    closed = []
    hubs = [hub_for(s), hub_for(s)]
    for n, hub in enumerate(hubs):
        [ch] = kassa_max.register_channels(hub)
        real = ch.aclose

        async def spy(n=n, real=real):
            closed.append(n)
            await real()

        ch.aclose = spy
    await kassa_max.on_shutdown(hubs[0])
    assert closed == [0]
    await kassa_max.on_shutdown(hubs[1])
    assert closed == [0, 1]


async def test_demo_simulator_fragment_is_valid_config():
    [sim] = kassa_max.register_simulators(SimpleNamespace(sites=["r1", "r2"]))
    assert isinstance(sim, Simulator)
    fragment = await sim.start()
    try:
        data = {"sites": [{"code": "r1"}, {"code": "r2"}], **fragment}
        s = parse(data, sections=SECTIONS)
        assert [c.site for c in s.chats] == ["r1", "r2", None] and s.chats[-1].owners
        hub = hub_for(s)
        [ch] = kassa_max.register_channels(hub)
        for chat in s.chats:  # the bot is an admin everywhere in the demo
            me = await ch.client.my_membership(int(chat.chat_id))
            assert me["is_admin"] and "read_all_messages" in me["permissions"]
        await kassa_max.on_shutdown(hub)
    finally:
        await sim.stop()


def test_default_demo_sites():
    [sim] = kassa_max.register_simulators(object())
    assert sim.sites == ["r1", "r2", "r3"]
