"""The simulator's objects have the shape of the documented examples: every field of a
payload quoted in ../shared/protocols/messengers.md §2.4 (real payloads from the MAX Go SDK's
stubs and the schema) is present in what the simulator answers, with the same JSON type."""

from __future__ import annotations

import json

import httpx
import pytest
from kassa.testing.shapes import same_shape
from kassa_max.sim import MaxSim

pytestmark = pytest.mark.anyio

# messengers.md §2.4, POST /messages -> 200 (schema SendMessageResult)
SENT = json.loads("""{"message":{"recipient":{"chat_id":-70000000000005,"chat_type":"chat"},
 "timestamp":1775626919577,"body":{"mid":"mid.ffffbdb48e6c3775019d496b34394b84",
 "seq":116327994376978687,"text":"Удаление блюда"},"sender":{"user_id":229229229,
 "first_name":"POS Alerts","username":"pos_alerts_bot","is_bot":true,
 "last_activity_time":1775626919577}}}""")
# messengers.md §2.4, a message_callback update ([MAXGO stabs])
CALLBACK = json.loads("""{"updates":[{"update_type":"message_callback","timestamp":1775025604499,
 "user_locale":"ru","callback":{"timestamp":1775026702210,"callback_id":"f9LHodD0cOJf4_Dk",
 "payload":"rep:shift:17","user":{"user_id":123456789,"first_name":"John","is_bot":false,
 "last_activity_time":1775026693000}},"message":{"recipient":{"chat_id":182182182,
 "chat_type":"dialog","user_id":123456789},"timestamp":1775026671403,
 "body":{"mid":"mid.000000000adf429c019d47d58f2b3d9e","seq":116328147937082782,
 "text":"…"}}}],"marker":25493970}""")
# schema "Deep linking": the bot_started example (user with the legacy "name")
STARTED = json.loads("""{"update_type":"bot_started","timestamp":1573226679188,
 "chat_id":1234567890,"user":{"user_id":1234567890,"name":"Boris","username":"borisd84"},
 "payload":"any data meaningful to bot"}""")


async def test_sent_message_callback_and_bot_started_have_the_documented_shape(
        sim: MaxSim) -> None:
    w = sim.world
    user = w.add_user("John", username="borisd84")
    dialog = w.start(user.user_id, "any data meaningful to bot")
    group = w.add_group("R1")
    async with httpx.AsyncClient(base_url=sim.base_url,
                                 headers={"Authorization": sim.token}) as http:
        sent = (await http.post("/messages", params={"chat_id": group.chat_id}, json={
            "text": "Удаление блюда"})).json()
        assert same_shape(SENT, sent) == []
        await http.get("/updates", params={"timeout": 0})  # read what came so far
        r = await http.post("/messages", params={"user_id": user.user_id}, json={
            "text": "…", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [[
                {"type": "callback", "text": "Смена", "payload": "rep:shift:17"}]]}}]})
        w.press(dialog.chat_id, r.json()["message"]["body"]["mid"], "rep:shift:17",
                user.user_id)
        got = (await http.get("/updates", params={"timeout": 0,
                                                   "types": "message_callback"})).json()
        assert same_shape(CALLBACK, got) == []
    started = next(u for _, u in w.updates if u["update_type"] == "bot_started")
    assert same_shape(STARTED, started) == []
