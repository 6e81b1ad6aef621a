"""A mail server that takes the message and then does not answer in time: the hub cannot
know whether the copy went out. By ``[delivery] copy_unknown``: ``alert`` sends nothing more
and tells the managers; ``resend`` sends it once more, same Message-ID, marked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from kassa.testing import eventually

from .conftest import APP, idem, payment
from .test_copies import Inbox, _free_port

pytestmark = pytest.mark.anyio


class SlowInbox(Inbox):
    """Keeps every message; answers the first DATA only after the client's timeout."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            await asyncio.sleep(2.0)
        return answer


@pytest.fixture
def slow_smtp() -> Iterator[tuple[SlowInbox, int]]:
    inbox = SlowInbox()
    port = _free_port()
    c = Controller(inbox, hostname="127.0.0.1", port=port)
    c.start()
    try:
        yield inbox, port
    finally:
        c.stop()


@pytest.fixture(params=["alert", "resend"])
def delivery_over(request: Any, slow_smtp: tuple[SlowInbox, int]) -> dict[str, Any]:
    return {"smtp": {"host": "127.0.0.1", "port": slow_smtp[1], "starttls": False,
                     "sender": "cheki@dostavka.example", "timeout": 0.5},
            "copy_retry_seconds": 0.05, "copy_unknown": request.param}


async def test_a_send_whose_answer_is_lost(api, hub, slow_smtp, delivery_over, channel):
    inbox, _ = slow_smtp
    r = await api.post("/payments", json=payment("U-1"), headers=idem("u1"))
    job_id = r.json()["job_id"]
    seen: dict[str, Any] = {}

    async def settled() -> bool:
        seen.update((await api.get(f"/jobs/{job_id}", headers=APP)).json())
        return bool(seen["status"] == "fiscalised" and seen["copy"]["status"] != "pending")

    try:
        await eventually(settled, hub=hub, within=30)
    except TimeoutError:
        # The deadline lands in whatever GET is in flight, so the traceback reads like a
        # GET that got no answer (CI, 3.12 beside 3.13). Say what was late: the last answer
        # the API gave, and how far the worker got (its durable commits wait for fsync).
        keys = [f"delivery:copy:{job_id}", f"delivery:copy:{job_id}:resend"]
        found = [await hub.journal.entry(k) for k in keys]
        last = f"status {seen['status']}, copy {seen['copy']}" if seen else "nothing"
        pytest.fail(f"copy not settled in 30 s; the API last answered {last}; "
                    f"journal: {[(e.key, e.status) for e in found if e is not None]}")
    entry = await hub.journal.get(f"delivery:copy:{job_id}")
    assert entry is not None and entry.status == "unknown"  # the journal says what we know
    if delivery_over["copy_unknown"] == "alert":
        assert seen["copy"]["status"] == "unknown" and len(inbox.messages) == 1

        async def alerted() -> bool:  # the event follows the job's status, a moment later
            return bool(await hub.events(kinds=["delivery_copy_unknown"]))

        await eventually(alerted, hub=hub)
        events = await hub.events(kinds=["delivery_copy_unknown"])
        assert len(events) == 1 and events[0].order == "U-1"
        assert "iv***@example.ru" in (events[0].reason or "")  # masked

        async def told() -> bool:
            return any("могла не дойти" in m for m in channel.texts())

        await eventually(told, hub=hub)
    else:
        assert seen["copy"]["status"] == "sent" and "повторно" in seen["copy"]["reason"]
        assert len(inbox.messages) == 2
        first, again = inbox.messages
        assert first["Message-ID"] == again["Message-ID"]
        assert first["Message-ID"] == f"<delivery.{job_id}.{seen['fiscal']['fn']}." \
            f"{seen['fiscal']['fd']}@dostavka.example>"
        assert again["X-Kassa-Resent"] == "yes"
        assert not await hub.events(kinds=["delivery_copy_unknown"])
