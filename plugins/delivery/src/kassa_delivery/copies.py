"""Receipt copies the plugin sends itself, when the OFD account's tariff does not include
delivery (fiscal.md §1.6: never assumed from 1008 alone): an e-mail through SMTP (aiosmtplib)
with the receipt text, its QR as a PNG and the link; an SMS through a pluggable sender.

SMS senders are found by entry point, group ``kassa_delivery.sms``: ``name = "module:factory"``,
``factory(hub) -> SmsSender``; ``[delivery] sms_sender`` names the one to use. The plugin ships
``simulator`` (``kassa_delivery.sms_sim``) for tests and the demo.

A copy is tried up to ``ATTEMPTS`` times with a growing pause; then it is ``not_sent`` with
the last reason. A crash between the send and its mark may send a copy twice (said in docs).
"""

from __future__ import annotations

import io
import json
import logging
from email.message import EmailMessage
from importlib.metadata import entry_points
from typing import Any, Protocol

import aiosmtplib
import anyio
import sqlalchemy as sa
from kassa import codec
from kassa.errors import Permanent, RetryLater
from kassa.model import FiscalDocument

from kassa_delivery.schema import job as J
from kassa_delivery.service import DeliveryService, rub
from kassa_delivery.texts import t

log = logging.getLogger("kassa.delivery")
ATTEMPTS = 5
SMS_GROUP = "kassa_delivery.sms"


class SmsSender(Protocol):
    """An SMS gateway: ``send`` returns the gateway's message id; ``RetryLater`` for a
    transient failure (nothing sent), ``Permanent`` for a refusal (bad number, no balance)."""

    name: str

    async def send(self, phone: str, text: str, key: str) -> str: ...


def sms_sender(hub: Any, name: str) -> SmsSender | None:
    if not name:
        return None
    for ep in entry_points(group=SMS_GROUP):
        if ep.name == name:
            sender: SmsSender = ep.load()(hub)
            return sender
    raise Permanent(f"no SMS sender {name!r} is installed (entry point group {SMS_GROUP})")


def receipt_text(svc: DeliveryService, r: dict[str, Any], doc: FiscalDocument) -> str:
    p = svc.stored(r)
    office = svc.cfg.office(r["site"])
    lines = ["КАССОВЫЙ ЧЕК / ПРИХОД", f"Заказ {p.order_id}"]
    if office and office.address:
        lines.append(office.address)
    built = svc.receipt(p, r["contact"], doc.issued_at)
    for i, ln in zip(p.items, built.lines, strict=True):
        lines.append(f"{i.name}  {i.quantity} x {rub(i.price)} = {rub(ln.total)}  "
                     f"НДС {ln.vat.label}")
    kind = {"cash": "НАЛИЧНЫМИ", "card": "БЕЗНАЛИЧНЫМИ", "prepaid": "ПРЕДОПЛАТОЙ"}
    lines += [f"ИТОГ {rub(r['amount'])}", f"{kind[p.payment.kind]} {rub(r['amount'])}",
              f"ФН {doc.fn}  ФД {doc.number}  ФП {doc.fiscal_sign}",
              f"{doc.issued_at:%d.%m.%Y %H:%M}  смена {doc.shift}"]
    if r["contact"]:
        lines.append(("ЭЛ.АДР.ПОКУПАТЕЛЯ " if "@" in r["contact"] else "ТЕЛ. ПОКУПАТЕЛЯ ")
                     + r["contact"])
    if doc.qr:
        lines.append(doc.qr)
    link = svc.link(doc)
    if link:
        lines.append(link)
    return "\n".join(lines)


def qr_png(text: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=5, border=4)
    return out.getvalue()


async def send_email(svc: DeliveryService, r: dict[str, Any], doc: FiscalDocument) -> str:
    smtp = svc.cfg.smtp
    msg = EmailMessage()
    msg["From"] = smtp.sender or f"kassa@{smtp.host}"
    msg["To"] = r["contact"]
    msg["Subject"] = t("delivery.mail.subject", svc.locale, order=r["order_id"])
    msg["Message-ID"] = f"<delivery-{r['id']}-{doc.number}@kassa>"
    msg.set_content(receipt_text(svc, r, doc))
    if doc.qr:
        msg.add_attachment(qr_png(doc.qr), maintype="image", subtype="png",
                           filename=f"receipt-{doc.number}.png")
    try:
        await aiosmtplib.send(msg, hostname=smtp.host, port=smtp.port,
                              username=smtp.username or None,
                              password=smtp.password.reveal() or None,
                              start_tls=smtp.starttls and not smtp.use_tls,
                              use_tls=smtp.use_tls, timeout=smtp.timeout)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"the mail server refused the address: {exc}") from None
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise RetryLater(f"mail server: {type(exc).__name__}: {exc}") from None
    return str(msg["Message-ID"])


class CopySender:
    def __init__(self, svc: DeliveryService) -> None:
        self.svc = svc
        self.hub = svc.hub
        self.sms: SmsSender | None = None

    async def run(self) -> None:
        while True:
            self.svc.copies_wake = wake = anyio.Event()
            r = await self.next_copy()
            if r is None:
                with anyio.move_on_after(30):
                    await wake.wait()
                continue
            await self.one(r)

    async def next_copy(self) -> dict[str, Any] | None:
        q = sa.select(J).where(J.c.copy_status == "pending").order_by(J.c.id).limit(1)
        async with self.hub.engine.connect() as conn:
            r = (await conn.execute(q)).first()
        return dict(r._mapping) if r is not None else None

    async def one(self, r: dict[str, Any]) -> None:
        doc = codec.from_dict(json.loads(r["document"]), FiscalDocument)
        try:
            if "@" in r["contact"]:
                if not self.svc.cfg.smtp.host:
                    raise Permanent("no_smtp")
                await send_email(self.svc, r, doc)
            else:
                sender = self.sms = self.sms or sms_sender(self.hub, self.svc.cfg.sms_sender)
                if sender is None:
                    raise Permanent("no_sms")
                text = t("delivery.sms.text", self.svc.locale, order=r["order_id"],
                         total=rub(r["amount"]), fn=doc.fn, fd=doc.number, fp=doc.fiscal_sign)
                link = self.svc.link(doc)
                await sender.send(r["contact"], f"{text} {link}" if link else text,
                                  key=f"delivery:{r['id']}")
        except Permanent as exc:
            why = str(exc)
            reason = why if why in ("no_smtp", "no_sms") else f"failed:{why[:300]}"
            await self.mark(r, "not_sent", reason, r["copy_attempts"] + 1)
            return
        except RetryLater as exc:
            n = r["copy_attempts"] + 1
            log.info("delivery copy %s: attempt %s failed (%s)", r["id"], n, exc)
            if n >= ATTEMPTS:
                await self.mark(r, "not_sent", f"failed:{str(exc)[:300]}", n)
                return
            await self.mark(r, "pending", f"failed:{str(exc)[:300]}", n)
            await anyio.sleep(min(self.svc.cfg.copy_retry_seconds * 2 ** (n - 1), 3600.0))
            return
        await self.mark(r, "sent", None, r["copy_attempts"] + 1)

    async def mark(self, r: dict[str, Any], status: str, reason: str | None, n: int) -> None:
        await self.hub.write_sync(lambda c: c.execute(
            J.update().where(J.c.id == r["id"]).values(copy_status=status, copy_reason=reason,
                                                       copy_attempts=n)))
