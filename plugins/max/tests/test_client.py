"""The client against the simulator over real sockets: error mapping, faults, limits."""

import logging
import time

import httpx
import pytest
from kassa.errors import Permanent, RetryLater
from kassa.secret import Secret
from kassa_max.client import MaxClient
from kassa_max.failures import ApiPermanent, ApiRetryLater

from .conftest import settings_for

pytestmark = pytest.mark.anyio
TEXT = {"text": "<b>Удаление блюда</b>", "format": "html"}


async def test_wrong_token_is_permanent_and_never_printed(sim, caplog):
    caplog.set_level(logging.DEBUG)
    bad = "wrong-token-XYZ-0000"
    c = MaxClient(settings_for(sim, token=Secret(bad)))
    try:
        with pytest.raises(ApiPermanent) as info:
            await c.me()
    finally:
        await c.aclose()
    assert info.value.status == 401 and info.value.code == "verify.token"
    assert "[max] token" in str(info.value)
    for text in (str(info.value), repr(info.value), repr(c), repr(c.settings), caplog.text):
        assert bad not in text and sim.token not in text


async def test_token_never_appears_in_errors_or_logs(sim, client, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[Exception] = []
    sim.fail_next(1, "503")
    sim.fail_next(1, "drop")
    for _ in range(2):
        with pytest.raises(RetryLater) as info:
            await client.me()
        seen.append(info.value)
    with pytest.raises(Permanent) as refused:
        await client.send(TEXT, chat_id=-1)
    seen.append(refused.value)
    assert sim.token not in caplog.text
    assert all(sim.token not in f"{e} {e!r} {e.__cause__!r}" for e in seen)


async def test_token_only_in_the_authorization_header(sim):
    async with httpx.AsyncClient(base_url=sim.base_url) as raw:
        query = await raw.get("/me", params={"access_token": sim.token})
        bearer = await raw.get("/me", headers={"Authorization": f"Bearer {sim.token}"})
        good = await raw.get("/me", headers={"Authorization": sim.token})
    assert query.status_code == 401
    assert query.json() == {"code": "verify.token", "message": "Invalid access_token"}
    assert bearer.status_code == 401 and good.status_code == 200


async def test_unknown_chat_and_user_are_permanent_with_a_sentence(sim, client):
    with pytest.raises(ApiPermanent) as info:
        await client.send(TEXT, chat_id=-70000000000099)
    assert info.value.code == "chat.not.found" and "add the bot again" in str(info.value)
    user = sim.world.add_user("Гость")
    with pytest.raises(ApiPermanent) as info:
        await client.send(TEXT, user_id=user.user_id)
    assert "dialog.not.found" in str(info.value) and "never opened the bot" in str(info.value)


async def test_removed_bot_is_forbidden(sim, client):
    group = sim.world.add_group("Ромашка")
    sim.world.remove_bot(group.chat_id)
    with pytest.raises(ApiPermanent) as info:
        await client.send(TEXT, chat_id=group.chat_id)
    assert info.value.status == 403 and "admin" in str(info.value)


async def test_validation_errors_are_permanent(sim, client):
    group = sim.world.add_group("Ромашка")
    with pytest.raises(ApiPermanent) as info:
        await client.send({"text": "x" * 4001, "format": "html"}, chat_id=group.chat_id)
    assert info.value.status == 400 and "4000" in str(info.value)
    bad_button = {"type": "inline_keyboard", "payload": {"buttons": [[
        {"type": "callback", "text": "x", "payload": "p" * 1025}]]}}
    with pytest.raises(ApiPermanent):
        await client.send({"text": "x", "attachments": [bad_button]}, chat_id=group.chat_id)
    # unknown HTML tags are stripped, not rejected
    await client.send({"text": "<ul><li>one</li></ul>", "format": "html"}, chat_id=group.chat_id)
    assert sim.received(group.chat_id)[-1]["text"] == "one"


@pytest.mark.parametrize("kind", ["500", "503"])
async def test_server_errors_retry_later(sim, client, kind):
    sim.fail_next(1, kind)
    with pytest.raises(ApiRetryLater) as info:
        await client.me()
    assert info.value.status == int(kind)
    assert (await client.me())["is_bot"]


async def test_timeout_and_dropped_connection_retry_later(sim):
    c = MaxClient(settings_for(sim, timeout=0.2))
    try:
        sim.fail_next(1, "timeout", hold=1.0)
        with pytest.raises(RetryLater, match="ReadTimeout"):
            await c.me()
        sim.fail_next(1, "drop")
        with pytest.raises(RetryLater):
            await c.me()
        assert (await c.me())["is_bot"]
    finally:
        await c.aclose()


async def test_dropped_after_processing_is_ambiguous(sim, client):
    group = sim.world.add_group("Ромашка")
    sim.fail_next(1, "drop_after", path="/messages")
    with pytest.raises(RetryLater):
        await client.send(TEXT, chat_id=group.chat_id)
    assert len(sim.received(group.chat_id)) == 1  # MAX has it although we saw a failure


async def test_rate_limit_429_carries_retry_after(sim, client):
    sim.rate_limit(3, retry_after=0.3)
    for _ in range(3):
        await client.me()
    with pytest.raises(ApiRetryLater) as info:
        await client.me()
    assert info.value.status == 429 and info.value.after == pytest.approx(0.3)
    sim.rate_limit(1, retry_after=None)  # no header: the outbox backs off on its own
    await client.me()
    with pytest.raises(ApiRetryLater) as info:
        await client.me()
    assert info.value.after is None


async def test_long_poll_holds_and_returns_early_on_an_update(sim, client):
    start = time.monotonic()
    empty = await client.updates(marker=None, hold=1)
    assert empty["updates"] == [] and time.monotonic() - start >= 0.9
    user = sim.world.add_user("Анна")
    chat = sim.world.start(user.user_id)
    first = await client.updates(marker=None, hold=5)
    assert [u["update_type"] for u in first["updates"]] == ["bot_started"]
    import anyio

    async with anyio.create_task_group() as tg:
        got = {}

        async def poll():
            t0 = time.monotonic()
            got["answer"] = await client.updates(marker=first["marker"], hold=5)
            got["took"] = time.monotonic() - t0

        tg.start_soon(poll)
        await anyio.sleep(0.1)
        sim.world.say(chat.chat_id, user.user_id, "/report")
    assert got["took"] < 2
    assert got["answer"]["updates"][0]["message"]["body"]["text"] == "/report"


async def test_marker_commits_only_what_was_passed(sim, client):
    user = sim.world.add_user("Анна")
    chat = sim.world.start(user.user_id)
    for word in ("a", "b"):
        sim.world.say(chat.chat_id, user.user_id, word)
    once = await client.updates(marker=None, hold=0)
    again = await client.updates(marker=None, hold=0)  # nothing committed yet
    assert len(once["updates"]) == 3 and once["updates"] == again["updates"]
    after = await client.updates(marker=once["marker"], hold=0)
    assert after["updates"] == []
    with pytest.raises(ApiPermanent):
        await client.updates(marker=None, hold=91)


async def test_limit_and_types_filter(sim, client):
    user = sim.world.add_user("Анна")
    chat = sim.world.start(user.user_id)
    for i in range(5):
        sim.world.say(chat.chat_id, user.user_id, str(i))
    page = await client.updates(marker=None, hold=0, limit=2, types=["message_created"])
    assert [u["message"]["body"]["text"] for u in page["updates"]] == ["0", "1"]
    rest = await client.updates(marker=page["marker"], hold=0, limit=100)
    assert [u["message"]["body"]["text"] for u in rest["updates"]] == ["2", "3", "4"]
