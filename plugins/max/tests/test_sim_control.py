"""The simulator's /_sim control API over HTTP, and the rules it enforces by itself."""

import httpx
import pytest

pytestmark = pytest.mark.anyio


async def test_control_api_drives_a_conversation(sim):
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        user = (await http.post("/_sim/users", json={"first_name": "Анна"})).json()
        group = (await http.post("/_sim/groups", json={"title": "r1", "admin": False})).json()
        assert group["chat_id"] < 0
        r = await http.post("/_sim/say", json={"chat_id": group["chat_id"],
                                              "user_id": user["user_id"], "text": "/status"})
        assert r.status_code == 200
        auth = {"Authorization": sim.token}
        ups = (await http.get("/updates", params={"timeout": 0}, headers=auth)).json()
        assert [u["update_type"] for u in ups["updates"]] == ["bot_added"]  # not admin: blind
        await http.post("/_sim/admin", json={"chat_id": group["chat_id"], "admin": True})
        sent = await http.post("/messages", params={"chat_id": group["chat_id"]}, headers=auth,
                               json={"text": "ok"})
        assert sent.status_code == 200
        got = (await http.get("/_sim/received", params={"chat_id": group["chat_id"]})).json()
        assert [m["text"] for m in got["messages"]] == ["ok"]
        await http.post("/_sim/faults", json={"kind": "503"})
        assert (await http.get("/me", headers=auth)).status_code == 503
        await http.post("/_sim/rate_limit", json={"rps": 1, "retry_after": 2})
        await http.get("/me", headers=auth)
        limited = await http.get("/me", headers=auth)
        assert limited.status_code == 429 and limited.headers["retry-after"] == "2"
        bad = await http.post("/_sim/nope", json={})
        assert bad.status_code == 400 and "unknown control action" in bad.json()["message"]
        state = (await http.get("/_sim/state")).json()
        assert state["chats"][0]["bot_admin"] is True


async def test_requests_need_exactly_one_recipient_and_known_tokens(sim):
    auth = {"Authorization": sim.token}
    async with httpx.AsyncClient(base_url=sim.base_url, headers=auth) as http:
        both = await http.post("/messages", params={"chat_id": -1, "user_id": 1},
                               json={"text": "x"})
        assert both.status_code == 400 and both.json()["code"] == "proto.payload"
        group = sim.world.add_group("r1")
        fake_file = {"type": "file", "payload": {"token": "forged"}}
        r = await http.post("/messages", params={"chat_id": group.chat_id},
                            json={"attachments": [fake_file]})
        assert r.status_code == 400 and "unknown file token" in r.json()["message"]
        photo = await http.post("/uploads", params={"type": "photo"})
        assert photo.status_code == 400  # "photo" is no longer accepted: use "image"
        slot = (await http.post("/uploads", params={"type": "file"})).json()
    async with httpx.AsyncClient() as up:  # the upload host takes no Authorization
        no_data = await up.post(slot["url"], files={"file": ("a", b"x")})
        assert no_data.status_code == 400
        token = (await up.post(slot["url"], files={"data": ("a.txt", b"x")})).json()["token"]
    kb = {"type": "inline_keyboard", "payload": {"buttons": [[
        {"type": "callback", "text": "x", "payload": "p"}]]}}
    sim.world.not_ready_sends = 0
    async with httpx.AsyncClient(base_url=sim.base_url, headers=auth) as http:
        both_atts = await http.post("/messages", params={"chat_id": group.chat_id}, json={
            "attachments": [{"type": "file", "payload": {"token": token}}, kb]})
        assert both_atts.status_code == 400 and "only attachment" in both_atts.json()["message"]


async def test_updates_expire_after_24_hours(sim):
    user = sim.world.add_user("Анна")
    sim.world.start(user.user_id)
    sim.world.clock_offset_ms += 25 * 3600 * 1000
    updates, _ = sim.world.poll(None, 100, None)
    assert updates == []
