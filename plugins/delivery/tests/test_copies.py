"""Copies the plugin sends itself (the OFD tariff has none): an e-mail to a real SMTP server
(aiosmtpd, started here) with the receipt text, the QR as a PNG and the link; an SMS through
the simulator sender; none when the OFD account delivers; a refused address is not_sent."""

from __future__ import annotations

import email
import json
import socket
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from kassa.testing import eventually

from .conftest import APP, idem, payment

pytestmark = pytest.mark.anyio


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append(email.message_from_bytes(raw))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    c = Controller(inbox, hostname="127.0.0.1", port=port)
    c.start()
    try:
        yield inbox, port
    finally:
        c.stop()


@pytest.fixture
def delivery_over(smtp: tuple[Inbox, int]) -> dict[str, Any]:
    return {"smtp": {"host": "127.0.0.1", "port": smtp[1], "starttls": False,
                     "sender": "cheki@dostavka.example"},
            "sms_sender": "simulator", "copy_retry_seconds": 0.05,
            "receipt_link": "https://check.example/r?{qr}",
            "ofd_accounts": [{"name": "main", "delivers_email": False,
                              "delivers_sms": False},
                             {"name": "full", "delivers_email": True, "delivers_sms": True}]}


async def _copy_done(api: Any, hub: Any, job_id: int) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def ok() -> bool:
        seen.update((await api.get(f"/jobs/{job_id}", headers=APP)).json())
        return seen["status"] == "fiscalised" and seen["copy"]["status"] not in ("pending",)

    await eventually(ok, hub=hub, within=30)
    return seen


async def test_email_copy_with_text_qr_and_link(api, hub, smtp):
    inbox, _ = smtp
    r = await api.post("/payments", json=payment("E-1"), headers=idem("e1"))
    job = await _copy_done(api, hub, r.json()["job_id"])
    assert job["copy"]["status"] == "sent", job
    assert len(inbox.messages) == 1
    m = inbox.messages[0]
    assert m["To"] == "ivan@example.ru" and "E-1" in str(email.header.make_header(
        email.header.decode_header(m["Subject"])))
    parts = list(m.walk())
    text = next(p for p in parts if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert job["fiscal"]["qr"] in body and "https://check.example/r?t=" in body
    assert "ИТОГ 850.00" in body and "ЭЛ.АДР.ПОКУПАТЕЛЯ ivan@example.ru" in body
    png = next(p for p in parts if p.get_content_type() == "image/png")
    assert png.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"


async def test_sms_copy_through_the_simulator(api, hub, tmp_path: Path):
    body = payment("S-1", client={"name": "Иван"},
                   address={"phones": ["8 (916) 222-33-44"]})
    r = await api.post("/payments", json=body, headers=idem("s1"))
    job = await _copy_done(api, hub, r.json()["job_id"])
    assert job["copy"]["status"] == "sent" and job["copy"]["source"] == "address_phone"
    lines = (tmp_path / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()
    sms = json.loads(lines[0])
    assert sms["to"] == "+79162223344" and f"ФД {job['fiscal']['fd']}" in sms["text"]


async def test_refused_address_is_not_sent_with_the_reason(api, hub, smtp):
    inbox, _ = smtp
    inbox.refuse.add("petr@example.ru")
    body = payment("E-2", client={"name": "Пётр", "email": "petr@example.ru"})
    r = await api.post("/payments", json=body, headers=idem("e2"))
    job = await _copy_done(api, hub, r.json()["job_id"])
    assert job["copy"]["status"] == "not_sent" and "550" in job["copy"]["reason"]
    assert inbox.messages == []


@pytest.fixture
def ofd_delivers(delivery_over: dict[str, Any]) -> None:
    delivery_over["offices"] = [{"site": "d1", "register": "fr1", "ofd_account": "full"}]


@pytest.mark.usefixtures("ofd_delivers")
async def test_no_copy_of_our_own_when_the_tariff_delivers(api, hub, smtp):
    inbox, _ = smtp
    r = await api.post("/payments", json=payment("E-3"), headers=idem("e3"))
    job = await _copy_done(api, hub, r.json()["job_id"])
    assert job["copy"]["status"] == "ofd" and inbox.messages == []


async def test_a_refund_receipt_copy(api, hub, smtp):
    inbox, _ = smtp
    r = await api.post("/payments", json=payment("E-4"), headers=idem("e4"))
    await _copy_done(api, hub, r.json()["job_id"])
    r = await api.post("/orders/E-4/refunds", json={"amount": 15000, "lines": [
        {"line": 2, "quantity": "1"}]}, headers=idem("e4-r"))
    assert r.status_code == 202, r.text
    job = await _copy_done(api, hub, r.json()["job_id"])
    assert job["copy"]["status"] == "sent" and len(inbox.messages) == 2
    m = inbox.messages[1]
    subject = str(email.header.make_header(email.header.decode_header(m["Subject"])))
    assert subject == "Чек возврата по заказу E-4"
    text = next(p for p in m.walk() if p.get_content_type() == "text/plain")
    body = text.get_payload(decode=True).decode()
    assert "ВОЗВРАТ ПРИХОДА" in body and "Помпа  1 x 150.00 = 150.00" in body
    assert "ИТОГ 150.00" in body and "Вода" not in body
