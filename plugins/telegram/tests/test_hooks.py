"""The hook implementations, and the simulator's demo fragment driving a real hub end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import httpx
import kassa_telegram
import pytest
from kassa.config import parse
from kassa.model import ChatRef, Message
from kassa.testing import make_hub
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.sim import TelegramSim, TelegramSimulator

pytestmark = pytest.mark.anyio


def test_settings_section_parses_with_defaults_and_checks() -> None:
    sections = kassa_telegram.register_settings()
    s = parse({"telegram": {"token": "123:abc", "mode": "webhook",
                            "webhook": {"url": "https://x.ru/tg", "secret_token": "abc"}}},
              sections=sections).plugins["telegram"]
    assert (s.base_url, s.mode, s.webhook.listen_port) == ("https://api.telegram.org",
                                                           "webhook", 8443)
    with pytest.raises(Exception, match="telegram"):
        parse({"telegram": {"token": "123:abc", "mode": "push"}}, sections=sections)


def test_no_channel_without_a_token() -> None:
    s = parse({}, sections=kassa_telegram.register_settings())
    hub = SimpleNamespace(section=lambda name: s.plugins.get(name))
    assert kassa_telegram.register_channels(hub) == []


async def wait_for(pred: object, seconds: float = 8.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if pred():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_demo_fragment_drives_a_real_hub(tmp_path: Path) -> None:
    [simulator] = kassa_telegram.register_simulators(SimpleNamespace(sites=["r1", "r2"]))
    assert isinstance(simulator, TelegramSimulator)
    fragment = await simulator.start()
    sim = simulator.sim
    try:
        chats = fragment["chats"]
        assert [c.get("site") for c in chats] == ["r1", "r2", None]
        assert chats[-1]["owners"] is True
        r1 = int(chats[0]["chat_id"])
        owner = int(chats[0]["users"][0])
        config = {"sites": [{"code": "r1"}, {"code": "r2"}], **fragment}
        async with make_hub(config, tmp_path, plugins=[kassa_telegram]) as hub:
            assert isinstance(hub.channels["telegram"], TelegramChannel)
            await hub.send(Message(ChatRef("telegram", str(r1)), "<b>Тест</b> &lt;ok&gt;"),
                           key="t1")
            await wait_for(lambda: sim.received(r1))
            assert sim.received(r1)[0].text == "Тест <ok>"
            sim.user_says(r1, owner, "/help@kassa_demo_bot")
            await wait_for(lambda: len(sim.received(r1)) >= 2)
            assert sim.received(r1)[1].text.strip()
    finally:
        await simulator.stop()


async def test_control_api_over_http(sim: TelegramSim) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        user = (await http.post("/_sim/users", json={"first_name": "Анна"})).json()
        chat = (await http.post("/_sim/chats", json={"title": "R1", "members": [user["id"]],
                                                     "forum": True})).json()
        topic = (await http.post(f"/_sim/chats/{chat['id']}/topics",
                                 json={"name": "r1"})).json()["thread_id"]
        r = await http.post(f"/bot{sim.token}/sendMessage", data={
            "chat_id": chat["id"], "text": "<i>hi</i>", "parse_mode": "HTML",
            "message_thread_id": topic,
            "reply_markup": '{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}'})
        mid = r.json()["result"]["message_id"]
        got = (await http.get(f"/_sim/chats/{chat['id']}/received")).json()
        assert got[0]["text"] == "hi" and got[0]["thread_id"] == topic
        assert got[0]["buttons"] == [[["A", "a"]]]
        said = await http.post(f"/_sim/chats/{chat['id']}/messages",
                               json={"user_id": user["id"], "text": "/report"})
        assert said.status_code == 200
        cb = (await http.post(f"/_sim/chats/{chat['id']}/press",
                              json={"message_id": mid, "user_id": user["id"],
                                    "data": "a"})).json()["callback_id"]
        assert (await http.get(f"/_sim/callbacks/{cb}")).json()["answered"] is False
        bad = await http.post(f"/_sim/chats/{chat['id']}/press",
                              json={"message_id": mid, "user_id": user["id"], "data": "zz"})
        assert bad.status_code == 400 and "no button" in bad.json()["error"]
        assert (await http.post("/_sim/faults", json={"kind": "nope"})).status_code == 400
        assert (await http.post("/_sim/faults", json={"kind": "flood"})).status_code == 200
        flood = await http.get(f"/bot{sim.token}/getMe")
        assert flood.status_code == 429 and flood.json()["parameters"]["retry_after"] == 5
        calls = (await http.get("/_sim/calls")).json()
        assert [c["method"] for c in calls] == ["sendmessage", "getme"]
