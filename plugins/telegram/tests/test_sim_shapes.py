"""The simulator's objects have the shape of the documented examples: every field of a
payload quoted in ../shared/protocols/messengers.md §1.1-1.2 (Bot API docs) is present in
what the simulator answers, with the same JSON type."""

from __future__ import annotations

import json

import httpx
import pytest
from kassa.testing.shapes import same_shape
from kassa_telegram.sim import TelegramSim

pytestmark = pytest.mark.anyio

# messengers.md §1.1: a sendMessage result in a forum topic, with an entity
SENT = json.loads("""{"ok":true,"result":{"message_id":42,"from":{"id":7000000001,"is_bot":true,
 "first_name":"POS Alerts","username":"pos_alerts_bot"},"chat":{"id":-1001234567890,
 "title":"Ромашка — алерты","type":"supergroup","is_forum":true},"message_thread_id":7,
 "date":1767225600,"text":"Удаление блюда\\nСтол 12 · Стейк рибай ×1",
 "entities":[{"offset":0,"length":14,"type":"bold"}]}}""")
# messengers.md §1.2: a callback_query update
PRESSED = json.loads("""{"ok":true,"result":[{"update_id":815,"callback_query":{
 "id":"4382bfdwdsb323b2d9","from":{"id":111,"is_bot":false,"first_name":"Анна"},
 "message":{"message_id":42,"chat":{"id":-1001234567890,"type":"supergroup",
 "title":"Ромашка — алерты"},"date":1767225600,"text":"…"},
 "chat_instance":"-7380000000000000000","data":"rep:shift:17"}}]}""")
# messengers.md §1.1: the error envelopes
FLOOD = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 35",
         "parameters": {"retry_after": 35}}
MIGRATED = {"ok": False, "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -1001234567890}}


async def test_a_sent_message_and_a_button_press_have_the_documented_shape(
        sim: TelegramSim) -> None:
    anna = sim.create_user("Анна")
    group = sim.create_chat("Ромашка — алерты", members=[anna.id], forum=True)
    topic = sim.add_topic(group.id, "r1")
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/bot{sim.token}") as http:
        sent = (await http.post("/sendMessage", json={
            "chat_id": group.id, "message_thread_id": topic, "parse_mode": "HTML",
            "text": "<b>Удаление блюда</b>\nСтол 12", "reply_markup": {"inline_keyboard": [[
                {"text": "Смена", "callback_data": "rep:shift:17"}]]}})).json()
        assert same_shape(SENT, sent) == []
        sim.press_button(group.id, sent["result"]["message_id"], anna.id, data="rep:shift:17")
        assert same_shape(PRESSED, (await http.post("/getUpdates")).json()) == []


async def test_flood_and_migration_errors_have_the_documented_envelope(
        sim: TelegramSim) -> None:
    anna = sim.create_user("Анна")
    old = sim.create_chat("R1", type="group", members=[anna.id])
    sim.migrate_group(old.id)
    sim.faults.add("flood", method="getMe", retry_after=35)
    async with httpx.AsyncClient(base_url=f"{sim.base_url}/bot{sim.token}") as http:
        r = await http.post("/getMe")
        assert (r.status_code, r.json()) == (429, FLOOD)
        r = await http.post("/sendMessage", json={"chat_id": old.id, "text": "x"})
        assert r.status_code == 400 and same_shape(MIGRATED, r.json()) == []
        assert r.json()["description"] == MIGRATED["description"]
