"""docs/examples/kassa-hello is installed (a workspace member) and works through its entry point."""

from __future__ import annotations

import pytest
from kassa.plugins import Plugins, new_manager
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, incoming, make_hub

from tests.factories import CONFIG, ev


def test_example_plugin_is_found_through_its_entry_point():
    names = {p["name"]: p["hooks"] for p in Plugins(new_manager()).describe()}
    assert names["hello"] == ["on_event", "register_commands"]


@pytest.mark.anyio
async def test_example_plugin_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSA_LOAD_PLUGINS", "hello")
    ch = CaptureChannel()
    async with make_hub(CONFIG, tmp_path, plugins=[ComponentsPlugin(channels=[ch])],
                        entry_points=True) as hub:
        await hub.emit(ev(key="a"))
        await hub.drain()
        ch.sent.clear()
        await ch.push(incoming("/hello", chat_id="-1"))
        await eventually(lambda: ch.sent, hub=hub)
    assert ch.sent[0].text == "Привет! Событий в этом ресторане: 1"
