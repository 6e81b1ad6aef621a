"""Receipt copies the plugin sends itself, when the OFD account's tariff does not include
delivery (fiscal.md §1.6: never assumed from 1008 alone): an e-mail through SMTP (aiosmtplib)
with the receipt text, its QR as a PNG and the link; an SMS through a pluggable sender.

SMS senders are found by entry point, group ``kassa_delivery.sms``: ``name = "module:factory"``,
``factory(hub) -> SmsSender``; ``[delivery] sms_sender`` names the one to use. The plugin ships
``simulator`` (``kassa_delivery.sms_sim``) for tests and the demo.

A copy is tried up to ``ATTEMPTS`` times with a growing pause; then it is ``not_sent`` with
the last reason. Every send goes through the core's action journal (key
``delivery:copy:<job id>``): a crash between the send and its mark leaves the attempt
``unknown``; an SMS is then looked up at the gateway, an e-mail (SMTP has no look-up) is by
``[delivery] copy_unknown`` either not sent again (``alert``, at most once) or sent once more
with the same Message-ID, marked (``resend``).
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
from kassa.errors import Permanent, Repair, RetryLater, UserError
from kassa.journal import OutcomeUnknown
from kassa.model import FiscalDocument, Operation, Receipt

from kassa_delivery.contact import mask
from kassa_delivery.schema import job as J
from kassa_delivery.service import DeliveryService, rub
from kassa_delivery.texts import t

log = logging.getLogger("kassa.delivery")
ATTEMPTS = 5
SMS_GROUP = "kassa_delivery.sms"


class SmsSender(Protocol):
    """An SMS gateway: ``send`` returns the gateway's message id; ``RetryLater`` for a
    transient failure (nothing sent), ``Permanent`` for a refusal (bad number, no balance);
    anything else (a timeout, a broken link) means it may have been sent.

    Optional ``async lookup(key) -> message id | None``: what the gateway has under the
    ``key`` given to ``send`` (``None``: nothing was sent). With it, a send whose outcome
    was lost is reconciled; without it such a copy is never sent again (the managers are
    told it may be lost)."""

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


def receipt_text(svc: DeliveryService, r: dict[str, Any], doc: FiscalDocument,
                 receipt: Receipt) -> str:
    office = svc.cfg.office(r["site"])
    refund = receipt.operation is Operation.SELL_REFUND
    lines = ["КАССОВЫЙ ЧЕК / " + ("ВОЗВРАТ ПРИХОДА" if refund else "ПРИХОД"),
             f"Заказ {r['order_id']}"]
    if office and office.address:
        lines.append(office.address)
    for ln in receipt.lines:
        lines.append(f"{ln.name}  {ln.quantity.normalize():f} x {rub(ln.price)} = "
                     f"{rub(ln.total)}  НДС {ln.vat.label}")
    kind = {"cash": "НАЛИЧНЫМИ", "card": "БЕЗНАЛИЧНЫМИ", "prepaid": "ПРЕДОПЛАТОЙ"}
    lines += [f"ИТОГ {rub(r['amount'])}", f"{kind[r['payment_kind']]} {rub(r['amount'])}",
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


def message_id(svc: DeliveryService, r: dict[str, Any], doc: FiscalDocument) -> str:
    """Stable per job (its journal key) and document: a repeat is the same message to a
    receiving system (RFC 5322 3.6.4), which may fold or drop it."""
    smtp = svc.cfg.smtp
    domain = (smtp.sender.rpartition("@")[2] or smtp.host or "kassa.invalid").strip("<> ")
    return f"<delivery.{r['id']}.{doc.fn}.{doc.number}@{domain}>"


def email_message(svc: DeliveryService, r: dict[str, Any], doc: FiscalDocument,
                  receipt: Receipt, *, resend: bool = False) -> EmailMessage:
    smtp = svc.cfg.smtp
    msg = EmailMessage()
    msg["From"] = smtp.sender or f"kassa@{smtp.host}"
    msg["To"] = r["contact"]
    subject = "delivery.mail." + ("refund_subject" if r["kind"] == "refund" else "subject")
    msg["Subject"] = (t("delivery.mail.resent", svc.locale) if resend else "") + \
        t(subject, svc.locale, order=r["order_id"])
    msg["Message-ID"] = message_id(svc, r, doc)
    if resend:  # the one repeat after a send whose outcome was lost (policy "resend")
        msg["X-Kassa-Resent"] = "yes"
    msg.set_content(receipt_text(svc, r, doc, receipt))
    if doc.qr:
        msg.add_attachment(qr_png(doc.qr), maintype="image", subtype="png",
                           filename=f"receipt-{doc.number}.png")
    return msg


def qr_png(text: str) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=5, border=4)
    return out.getvalue()


async def send_email(svc: DeliveryService, msg: EmailMessage) -> str:
    """Send once. ``RetryLater``/``Permanent`` only when the server did not take the message
    (no connection, or it answered a refusal); a link lost mid-way is left to the journal
    as an unknown outcome: the message may have been delivered."""
    smtp = svc.cfg.smtp
    try:
        await aiosmtplib.send(msg, hostname=smtp.host, port=smtp.port,
                              username=smtp.username or None,
                              password=smtp.password.reveal() or None,
                              start_tls=smtp.starttls and not smtp.use_tls,
                              use_tls=smtp.use_tls, timeout=smtp.timeout)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"the mail server refused the address: {exc}") from None
    except aiosmtplib.SMTPConnectError as exc:  # before anything was sent
        raise RetryLater(f"mail server: {type(exc).__name__}: {exc}") from None
    except aiosmtplib.SMTPResponseException as exc:  # it answered: it did not take it
        if exc.code >= 500:
            raise Permanent(f"the mail server refused the message: {exc.code} "
                            f"{exc.message}") from None
        raise RetryLater(f"mail server: {exc.code} {exc.message}") from None
    except aiosmtplib.SMTPNotSupported as exc:
        raise RetryLater(f"mail server: {exc}") from None
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
        svc = self.svc
        doc = codec.from_dict(json.loads(r["document"]), FiscalDocument)
        sale = await svc.row(int(r["refund_of"])) if r["kind"] == "refund" else None
        receipt = svc.build(r, sale)
        by_mail = "@" in r["contact"]
        n = r["copy_attempts"] + 1
        reason: str | None = None
        try:
            try:
                await self.send(r, doc, receipt, by_mail)
            except OutcomeUnknown:
                if not (by_mail and svc.cfg.copy_unknown == "resend"):
                    raise
                log.warning("delivery copy %s: the first send's outcome is unknown; sending "
                            "it once more, marked (policy resend)", r["id"])
                await self.send(r, doc, receipt, by_mail, resend=True)
                reason = "resent"
        except OutcomeUnknown as exc:
            if not by_mail and self.can_look_up() and n < ATTEMPTS:
                # the gateway can tell: ask it again later rather than give up on the copy
                await self.retry(r, n, exc)
                return
            await self.lost(r, n)
            return
        except (Permanent, Repair, UserError) as exc:  # refused: the loop goes on to the next
            why = str(exc)
            reason = why if why in ("no_smtp", "no_sms") else f"failed:{why[:300]}"
            await self.mark(r, "not_sent", reason, n)
            return
        except RetryLater as exc:
            if n >= ATTEMPTS:
                await self.mark(r, "not_sent", f"failed:{str(exc)[:300]}", n)
                return
            await self.retry(r, n, exc)
            return
        await self.mark(r, "sent", reason, n)

    async def send(self, r: dict[str, Any], doc: FiscalDocument, receipt: Receipt,
                   by_mail: bool, *, resend: bool = False) -> str:
        """One copy through the action journal: the attempt is committed (fsynced) before
        the SMTP or SMS call, so a crash mid-send leaves it ``unknown`` and the next start
        reconciles it (the SMS gateway's lookup) instead of sending it blindly again."""
        svc = self.svc
        key = f"delivery:copy:{r['id']}" + (":resend" if resend else "")
        request = {"job": r["id"], "to": mask(r["contact"]), "fn": doc.fn, "fd": doc.number}
        if by_mail:
            if not svc.cfg.smtp.host:
                raise Permanent("no_smtp")
            msg = email_message(svc, r, doc, receipt, resend=resend)
            result: str = await self.hub.journal.run(
                key, component="delivery:smtp", concern="copy", kind="copy_email",
                site=r["site"], station=None, request=request,  # stable across restarts
                call=lambda: send_email(svc, msg), lookup=None, result_type=str)
            return result
        sender = self.sms = self.sms or sms_sender(self.hub, svc.cfg.sms_sender)
        if sender is None:
            raise Permanent("no_sms")
        name = "delivery.sms." + ("refund_text" if r["kind"] == "refund" else "text")
        text = t(name, svc.locale, order=r["order_id"], total=rub(r["amount"]), fn=doc.fn,
                 fd=doc.number, fp=doc.fiscal_sign)
        link = svc.link(doc)
        body = f"{text} {link}" if link else text

        async def call() -> str:
            return await sender.send(r["contact"], body, key=key)

        found: str = await self.hub.journal.run(
            key, component=f"delivery:sms:{sender.name}", concern="copy", kind="copy_sms",
            site=r["site"], station=None, request=request, call=call,
            lookup=getattr(sender, "lookup", None), result_type=str)
        return found

    def can_look_up(self) -> bool:
        return self.sms is not None and callable(getattr(self.sms, "lookup", None))

    async def retry(self, r: dict[str, Any], n: int, exc: Exception) -> None:
        log.info("delivery copy %s: attempt %s failed (%s)", r["id"], n, exc)
        await self.mark(r, "pending", f"failed:{str(exc)[:300]}", n)
        await anyio.sleep(min(self.svc.cfg.copy_retry_seconds * 2 ** (n - 1), 3600.0))

    async def lost(self, r: dict[str, Any], n: int) -> None:
        """At most once: the copy may have gone out; the managers are told, no blind resend."""
        from kassa.model import Event

        from kassa_delivery.kinds import COPY_UNKNOWN

        await self.mark(r, "unknown", "unknown", n)
        to = mask(r["contact"])
        log.warning("delivery copy %s to %s: outcome unknown, not sent again", r["id"], to)
        await self.hub.emit(Event.of(
            site=r["site"], kind=COPY_UNKNOWN, source_key=f"{COPY_UNKNOWN}:{r['id']}",
            occurred_at=self.hub.clock.now(), order=r["order_id"], employee=r["driver"],
            reason=t("delivery.alert.copy_unknown", self.svc.locale, order=r["order_id"],
                     to=to), data={"job": r["id"]}))

    async def mark(self, r: dict[str, Any], status: str, reason: str | None, n: int) -> None:
        await self.hub.write_sync(lambda c: c.execute(
            J.update().where(J.c.id == r["id"]).values(copy_status=status, copy_reason=reason,
                                                       copy_attempts=n)))
