"""The simulator held against the published MAX schema (max-messenger/api-schema schema.yaml,
v0.0.33): each test is one audited rule that the simulator broke before the audit."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest
from kassa_max.channel import MaxChannel
from kassa_max.sim import MaxSim

from .conftest import settings_for

pytestmark = pytest.mark.anyio


def api(sim: MaxSim) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": sim.token})


async def send(http: httpx.AsyncClient, chat_id: int, body: dict[str, object]) -> dict[str, Any]:
    r = await http.post("/messages", params={"chat_id": chat_id}, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json()["message"])


# --- DELETE /messages?message_id= ("Deletes message in a dialog, chat or channel if bot has
# permission to delete messages"; 403 for another's: max-bot-api-client-go#132) -------------
async def test_the_bot_deletes_its_own_message_but_not_a_users_in_a_dialog(sim: MaxSim) -> None:
    w = sim.world
    anna = w.add_user("Анна")
    dialog = w.start(anna.user_id)
    said = w.say(dialog.chat_id, anna.user_id, "привет")
    async with api(sim) as http:
        mine = await send(http, dialog.chat_id, {"text": "ответ"})
        r = await http.delete("/messages", params={"message_id": mine["body"]["mid"]})
        assert (r.status_code, r.json()) == (200, {"success": True})
        assert sim.received(dialog.chat_id) == []
        r = await http.delete("/messages", params={"message_id": said["body"]["mid"]})
        assert (r.status_code, r.json()) == (403, {
            "code": "access.denied", "message": "Insufficient permissions to delete message"})


async def test_an_admin_bot_deletes_a_users_message_in_a_group(sim: MaxSim) -> None:
    w = sim.world
    anna = w.add_user("Анна")
    group = w.add_group("R1", admin=True)
    said = w.say(group.chat_id, anna.user_id, "лишнее")
    async with api(sim) as http:
        r = await http.delete("/messages", params={"message_id": said["body"]["mid"]})
        assert r.status_code == 200
        assert w.chat(group.chat_id).messages == []


# --- GET /messages/{messageId} and GET /messages?chat_id= ------------------------------------
async def test_get_one_message_and_the_history_newest_first(sim: MaxSim) -> None:
    w = sim.world
    group = w.add_group("R1")
    async with api(sim) as http:
        sent = []
        for i in range(3):
            sent.append(await send(http, group.chat_id, {"text": f"m{i}"}))
            w.clock_offset_ms += 1000  # distinct timestamps
        mid = sent[1]["body"]["mid"]
        r = await http.get(f"/messages/{mid}")
        assert r.status_code == 200 and r.json()["body"]["text"] == "m1"
        r = await http.get("/messages", params={"chat_id": group.chat_id})
        assert [m["body"]["text"] for m in r.json()["messages"]] == ["m2", "m1", "m0"]
        r = await http.get("/messages", params={"chat_id": group.chat_id, "count": 2})
        assert [m["body"]["text"] for m in r.json()["messages"]] == ["m2", "m1"]
        r = await http.get("/messages", params={
            "chat_id": group.chat_id, "before": sent[2]["timestamp"]})
        assert [m["body"]["text"] for m in r.json()["messages"]] == ["m1", "m0"]
        r = await http.get("/messages", params={"message_ids": f"{mid},{sent[0]['body']['mid']}"})
        assert sorted(m["body"]["text"] for m in r.json()["messages"]) == ["m0", "m1"]
        assert (await http.get("/messages", params={"chat_id": group.chat_id,
                                                    "count": 101})).status_code == 400
        assert (await http.get("/messages/mid.0000")).status_code == 404


# --- format: "markdown" (schema "Max flavored Markdown": the syntax it lists, quoted) --------
@pytest.mark.parametrize(("raw", "text", "markup"), [
    ("*empasized* or _empasized_", "empasized or empasized",
     [("emphasized", 0, 9), ("emphasized", 13, 9)]),
    ("**strong** or __strong__", "strong or strong", [("strong", 0, 6), ("strong", 10, 6)]),
    ("~~strikethough~~", "strikethough", [("strikethrough", 0, 12)]),
    ("++underline++", "underline", [("underline", 0, 9)]),
    ("`code` or ```code```", "code or code", [("monospaced", 0, 4), ("monospaced", 8, 4)]),
    ("^^important^^", "important", [("highlighted", 0, 9)]),
    ("> quote", "quote", [("quote", 0, 5)]),
    ("# Header", "Header", [("heading", 0, 6)]),
    ("**Итог** за `2*3`", "Итог за 2*3", [("strong", 0, 4), ("monospaced", 8, 3)]),
    ("a * b", "a * b", []),  # a lone marker stays text
])
async def test_markdown_is_parsed_into_text_and_markup(sim: MaxSim, raw: str, text: str,
                                                       markup: list[tuple[str, int, int]]
                                                       ) -> None:
    group = sim.world.add_group("R1")
    async with api(sim) as http:
        body = (await send(http, group.chat_id, {"text": raw, "format": "markdown"}))["body"]
    assert body["text"] == text
    assert [(m["type"], m["from"], m["length"]) for m in body.get("markup", [])] == markup


async def test_markdown_links_and_user_mentions(sim: MaxSim) -> None:
    group = sim.world.add_group("R1")
    raw = "[Inline URL](https://dev.max.ru/) и [User mention](max://user/42)"
    async with api(sim) as http:
        body = (await send(http, group.chat_id, {"text": raw, "format": "markdown"}))["body"]
    assert body["text"] == "Inline URL и User mention"
    assert body["markup"] == [
        {"type": "link", "from": 0, "length": 10, "url": "https://dev.max.ru/"},
        {"type": "user_mention", "from": 13, "length": 12, "user_id": 42}]


# --- the channel at shutdown ---------------------------------------------------------------------
async def test_closing_the_channel_under_a_held_poll_is_silent(
        sim: MaxSim, caplog: pytest.LogCaptureFixture) -> None:
    channel = MaxChannel(settings_for(sim, poll_timeout=30))
    updates = channel.updates()
    task = asyncio.create_task(updates.__anext__())
    await asyncio.sleep(0.5)  # the long poll is held by the simulator by now
    assert not task.done()
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="kassa_max"):
        await channel.aclose()  # what on_shutdown does
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(task, 5)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
    assert channel.health()["last_error"] is None


# --- smaller rules ----------------------------------------------------------------------------
async def test_a_deep_link_payload_over_128_characters_is_not_passed(sim: MaxSim) -> None:
    # schema "Deep linking": up to 128 characters; "Longer strings will be omitted and
    # **not** passed to the bot" (the simulator cut them to 128 before)
    w = sim.world
    anna, boris = w.add_user("Анна"), w.add_user("Борис")
    w.start(anna.user_id, "a" * 128)
    w.start(boris.user_id, "b" * 129)
    started = [u for _, u in w.updates if u["update_type"] == "bot_started"]
    assert started[0]["payload"] == "a" * 128
    assert "payload" not in started[1]


async def test_html_tags_outside_the_list_are_stripped_br_too(sim: MaxSim) -> None:
    # schema "HTML support": "Only the following HTML tags are supported. All others will be
    # stripped" -- <br> is not in the list (the simulator made it a line break before)
    group = sim.world.add_group("R1")
    async with api(sim) as http:
        body = (await send(http, group.chat_id, {
            "text": "<b>Итог</b><br><ul><li>5</li></ul>", "format": "html"}))["body"]
    assert body["text"] == "Итог5"
    assert body["markup"] == [{"type": "strong", "from": 0, "length": 4}]


async def test_cancelling_a_held_poll_is_silent(sim: MaxSim,
                                                caplog: pytest.LogCaptureFixture) -> None:
    channel = MaxChannel(settings_for(sim, poll_timeout=30))
    task = asyncio.create_task(channel.updates().__anext__())
    await asyncio.sleep(0.5)  # the long poll is held by the simulator by now
    assert not task.done()
    with caplog.at_level(logging.DEBUG, logger="kassa_max"):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await channel.aclose()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []
