"""Webhook mode: the simulator pushes with the secret header; forged calls are refused."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from kassa.secret import Secret
from kassa_telegram.channel import TelegramChannel
from kassa_telegram.settings import WebhookSettings
from kassa_telegram.sim import TelegramSim

from .conftest import settings_for

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_delivery_and_forgery(sim: TelegramSim) -> None:
    port = free_port()
    hook = WebhookSettings(url=f"http://127.0.0.1:{port}/tg", secret_token=Secret("s3cr3t-_x"),
                           listen_port=port, path="/tg")
    channel = TelegramChannel(settings_for(sim, mode="webhook", webhook=hook),
                              backoff_base=0.01)
    u = sim.create_user("Анна")
    agen = channel.updates()
    first = asyncio.ensure_future(agen.__anext__())
    for _ in range(200):
        if sim.updates.webhook is not None:
            break
        await asyncio.sleep(0.01)
    assert sim.updates.webhook is not None and sim.updates.webhook.secret_token == "s3cr3t-_x"
    sim.user_says(u.id, u.id, "/status")
    inc = await asyncio.wait_for(first, 5)
    assert (inc.text, inc.chat_id) == ("/status", str(u.id))
    forged = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/report",
                                          "chat": {"id": 1, "type": "private"},
                                          "from": {"id": 1, "first_name": "x"}}}
    async with httpx.AsyncClient() as http:
        url = f"http://127.0.0.1:{port}/tg"
        assert (await http.post(url, json=forged)).status_code == 401
        wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        assert (await http.post(url, json=forged, headers=wrong)).status_code == 401
        right = {"X-Telegram-Bot-Api-Secret-Token": "s3cr3t-_x"}
        assert (await http.post(url, json={"no": "id"}, headers=right)).status_code == 400
        assert (await http.get(url, headers=right)).status_code == 405
    assert channel.health()["webhook_rejected"] == 2
    # getUpdates is refused while the webhook is set, exactly as Telegram does
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{sim.base_url}/bot{sim.token}/getUpdates")
    assert r.status_code == 409
    sim.user_says(u.id, u.id, "second")
    nxt = await asyncio.wait_for(agen.__anext__(), 5)  # acks the first, takes the second
    assert nxt.text == "second"
    await agen.aclose()
    await channel.aclose()
    assert [upd.payload["text"] for upd in sim.updates.delivered] == ["/status"]


async def test_sim_retries_a_failing_webhook(sim: TelegramSim) -> None:
    hits: list[int] = []

    async def flaky(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                    send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        hits.append(1)
        status = 500 if len(hits) < 3 else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    from kassa.serving import AsgiServer
    server = AsgiServer(flaky)
    await server.start()
    u = sim.create_user("Анна")
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{sim.base_url}/bot{sim.token}/setWebhook",
                            json={"url": f"http://127.0.0.1:{server.port}/"})
        assert r.json() == {"ok": True, "result": True, "description": "Webhook was set"}
        sim.user_says(u.id, u.id, "x")
        for _ in range(300):
            if sim.updates.delivered:
                break
            await asyncio.sleep(0.01)
        info = (await http.get(f"{sim.base_url}/bot{sim.token}/getWebhookInfo")).json()
    assert len(hits) == 3 and info["result"]["pending_update_count"] == 0
    assert info["result"]["last_error_message"] == "Wrong response from the webhook: 500"
    await sim.updates.stop()
    await server.stop()
