"""Every Bot API failure class maps to the hub's errors (client vs simulator, real sockets)."""

from __future__ import annotations

import httpx
import pytest
from kassa.errors import Permanent, Repair, RetryLater
from kassa.secret import Secret
from kassa_telegram.client import BotClient
from kassa_telegram.failures import Conflict, MarkupRejected, NotModified, Unauthorized
from kassa_telegram.sim import TelegramSim

pytestmark = pytest.mark.anyio


async def test_envelope_and_case_insensitive_methods(sim: TelegramSim, client: BotClient) -> None:
    me = await client.call("GETME")
    assert me["username"] == sim.bot.username and me["is_bot"] is True
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{sim.base_url}/bot{sim.token}/noSuchMethod")
        assert (r.status_code, r.json()) == (404, {"ok": False, "error_code": 404,
                                                   "description": "Not Found"})
        r = await http.post(f"{sim.base_url}/bot123:wrong/getMe")
        assert (r.status_code, r.json()["description"]) == (401, "Unauthorized")


async def test_flood_429_carries_retry_after(sim: TelegramSim, client: BotClient) -> None:
    sim.limiter.enabled = True
    u = sim.create_user("Анна")
    sent, flood = 0, None
    for _ in range(6):  # 1 msg/s per chat with a burst of 3
        try:
            await client.send_message(str(u.id), "x")
            sent += 1
        except RetryLater as err:
            flood = err
            break
    assert sent == 3
    assert flood is not None and flood.after == 1.0
    assert "Too Many Requests: retry after 1" in str(flood)
    sim.advance(1.0)
    await client.send_message(str(u.id), "after the wait")


async def test_group_budget_is_20_per_minute(sim: TelegramSim, client: BotClient) -> None:
    sim.limiter.enabled = True
    g = sim.create_chat("R1")
    for i in range(20):
        sim.advance(1.0)
        await client.send_message(str(g.id), f"alert {i}")
    sim.advance(1.0)
    with pytest.raises(RetryLater) as err:
        await client.send_message(str(g.id), "one too many")
    assert err.value.after == 40.0  # the oldest of the 20 leaves the window in 40 s


async def test_migrated_group_asks_for_repair(sim: TelegramSim, client: BotClient) -> None:
    u = sim.create_user("Анна")
    g = sim.create_chat("R1", type="group", members=[u.id])
    new_id = sim.migrate_group(g.id)
    with pytest.raises(Repair) as err:
        await client.send_message(str(g.id), "x")
    assert err.value.changes == {"chat_id": str(new_id)}
    assert str(new_id).startswith("-100")
    await client.send_message(str(new_id), "x")


@pytest.mark.parametrize(("setup", "reason"), [
    ("blocked", "Forbidden: bot was blocked by the user"),
    ("never_started", "Forbidden: bot can't initiate conversation with a user"),
    ("kicked", "Forbidden: bot was kicked from the supergroup chat"),
    ("unknown", "Bad Request: chat not found"),
])
async def test_gone_recipients_are_permanent(sim: TelegramSim, client: BotClient, setup: str,
                                             reason: str) -> None:
    u = sim.create_user("Анна", started=setup != "never_started")
    target = u.id
    if setup == "blocked":
        sim.block_bot(u.id)
    if setup == "kicked":
        g = sim.create_chat("R1", members=[u.id])
        sim.kick_bot(g.id)
        target = g.id
    if setup == "unknown":
        target = -100999
    with pytest.raises(Permanent) as err:
        await client.send_message(str(target), "x")
    assert reason in err.value.reason
    assert not isinstance(err.value, Repair | RetryLater)


async def test_content_errors(sim: TelegramSim, client: BotClient) -> None:
    u = sim.create_user("Анна")
    with pytest.raises(MarkupRejected, match='Unsupported start tag "ul"'):
        await client.send_message(str(u.id), "<ul>x</ul>", parse_mode="HTML")
    with pytest.raises(Permanent, match="message is too long"):
        await client.send_message(str(u.id), "я" * 4097)
    with pytest.raises(Permanent, match="message must be non-empty"):
        await client.send_message(str(u.id), "<b> </b>", parse_mode="HTML")
    with pytest.raises(Permanent, match="BUTTON_DATA_INVALID"):
        await client.send_message(str(u.id), "x", reply_markup={"inline_keyboard": [[
            {"text": "t", "callback_data": "ж" * 33}]]})  # 66 bytes
    m = await client.send_message(str(u.id), "same")
    with pytest.raises(NotModified, match="message is not modified"):
        await client.edit_message_text(str(u.id), m["message_id"], "same")


async def test_unauthorized_says_what_to_do(sim: TelegramSim) -> None:
    c = BotClient(Secret("1:revoked"), sim.base_url)
    with pytest.raises(Unauthorized) as err:
        await c.get_me()
    assert "@BotFather" in str(err.value) and "1:revoked" not in str(err.value)
    await c.aclose()


@pytest.mark.parametrize("kind", ["server_error", "bad_gateway", "drop_before"])
async def test_transient_failures_retry_later(sim: TelegramSim, client: BotClient,
                                              kind: str) -> None:
    u = sim.create_user("Анна")
    sim.faults.add(kind, method="sendMessage")
    with pytest.raises(RetryLater):
        await client.send_message(str(u.id), "x")
    assert sim.received(u.id) == []
    await client.send_message(str(u.id), "x")
    assert len(sim.received(u.id)) == 1


async def test_drop_after_accept_is_retry_and_the_message_exists(sim: TelegramSim,
                                                                 client: BotClient) -> None:
    u = sim.create_user("Анна")
    sim.faults.add("drop_after", method="sendMessage")
    with pytest.raises(RetryLater):
        await client.send_message(str(u.id), "x")
    assert [m.text for m in sim.received(u.id)] == ["x"]  # the ambiguous case, protocol §5


async def test_timeout_is_retry_later(sim: TelegramSim) -> None:
    u = sim.create_user("Анна")
    sim.faults.add("timeout", method="sendMessage", delay=1.0)
    c = BotClient(Secret(sim.token), sim.base_url, timeout=0.2)
    with pytest.raises(RetryLater, match=r"no answer within 0\.2 s"):
        await c.send_message(str(u.id), "x")
    await c.aclose()


async def test_connection_refused_is_retry_later() -> None:
    c = BotClient(Secret("1:abc"), "http://127.0.0.1:9")  # nothing listens on port 9
    with pytest.raises(RetryLater, match="ConnectError"):
        await c.get_me()
    await c.aclose()


async def test_conflict_while_webhook_set(sim: TelegramSim, client: BotClient) -> None:
    await client.set_webhook("http://127.0.0.1:9/hook", None, [])
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await client.get_updates(None, 0, [])
    await client.delete_webhook()
    assert await client.get_updates(None, 0, []) == []


async def test_production_webhook_rules(client: BotClient) -> None:
    async with TelegramSim(local_mode=False) as strict:
        c = BotClient(Secret(strict.token), strict.base_url)
        with pytest.raises(Permanent, match="An HTTPS URL must be provided"):
            await c.set_webhook("http://example.com/hook", None, [])
        with pytest.raises(Permanent, match="only on ports 80, 88, 443 or 8443"):
            await c.set_webhook("https://example.com:8080/hook", None, [])
        with pytest.raises(Permanent, match="unallowed characters"):
            await c.set_webhook("https://example.com/hook", "bad secret!", [])
        await c.aclose()


async def test_uploads_file_ids_and_downloads(sim: TelegramSim, client: BotClient) -> None:
    u = sim.create_user("Анна")
    sent = await client.send_file("document", str(u.id), ("z.xlsx", b"PK\x03\x04data",
                                                           "application/vnd.ms-excel"),
                                  caption="<b>Z</b>", parse_mode="HTML")
    doc = sent["document"]
    assert (doc["file_name"], doc["file_size"], sent["caption"]) == ("z.xlsx", 8, "Z")
    again = await client.call("sendDocument", {"chat_id": u.id, "document": doc["file_id"]})
    assert again["document"]["file_id"] == doc["file_id"]  # re-sent without re-uploading
    path = (await client.call("getFile", {"file_id": doc["file_id"]}))["file_path"]
    async with httpx.AsyncClient() as http:
        got = await http.get(f"{sim.base_url}/file/bot{sim.token}/{path}")
    assert got.content == b"PK\x03\x04data"
    with pytest.raises(Permanent, match="wrong file identifier"):
        await client.call("sendDocument", {"chat_id": u.id, "document": "nope"})
    with pytest.raises(Permanent, match="IMAGE_PROCESS_FAILED"):
        await client.send_file("photo", str(u.id), ("x.png", b"not an image", "image/png"))
    with pytest.raises(Permanent, match="message caption is too long"):
        await client.send_file("document", str(u.id), ("a.txt", b"a", "text/plain"),
                               caption="я" * 1025)
