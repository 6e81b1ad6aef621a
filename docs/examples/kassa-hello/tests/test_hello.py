"""Through a real hub: guests at the simulated door become events; /hello counts them."""

from __future__ import annotations

from pathlib import Path

import pytest
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, incoming, make_hub
from kassa_hello.sim import HelloSim


@pytest.mark.anyio
async def test_guests_become_events_and_hello_counts_them(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "hello")  # this plugin only, via its entry point
    sim = HelloSim()
    fragment = await sim.start()
    try:
        chat = {"channel": "capture", "chat_id": "-1", "site": "hello1"}
        ch = CaptureChannel()
        async with make_hub({**fragment, "chats": [chat]}, tmp_path, entry_points=True,
                            plugins=[ComponentsPlugin(channels=[ch])]) as hub:
            sim.arrive()
            sim.arrive()
            await eventually(lambda: hub.sources[0].health()["last_guest"] == 2, hub=hub)
            await ch.push(incoming("/hello", chat_id="-1"))
            await eventually(lambda: ch.sent, hub=hub)
            assert ch.sent[-1].text == "Привет! Гостей сегодня: 2"
            assert len(await hub.events(kinds=["hello_guest"])) == 2
    finally:
        await sim.stop()
