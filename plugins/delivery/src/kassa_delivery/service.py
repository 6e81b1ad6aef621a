"""Accepting payments into the job table, reading jobs back, and building their receipts.

A job is on disk (committed) before the API answers 202. Dedup: the caller's
``Idempotency-Key`` (scoped to the API key's name) and the order + payment pair; the same key or
pair with another body is a 409, with the same body the first job is answered again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import msgspec
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from kassa import codec
from kassa.model import (
    Cashier,
    FiscalDocument,
    Operation,
    PaymentKind,
    PaymentObject,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa.model.fiscal_rules import line_total, problems

from kassa_delivery import contact as contacts
from kassa_delivery import wire
from kassa_delivery.errors import DeliveryError
from kassa_delivery.schema import job as J
from kassa_delivery.settings import DeliverySettings
from kassa_delivery.texts import t

STATE = "kassa_delivery"
_KIND = {"cash": PaymentKind.CASH, "card": PaymentKind.ELECTRONIC, "prepaid": PaymentKind.PREPAID}
_OBJECT = {"commodity": PaymentObject.COMMODITY, "service": PaymentObject.SERVICE,
           "job": PaymentObject.JOB}


def stamp(at: datetime) -> str:
    """Fixed-width UTC text, so the column sorts and compares as time."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def rub(kop: int) -> str:
    return f"{kop // 100}.{kop % 100:02d}"


def settings_of(hub: Any) -> DeliverySettings:
    return hub.section("delivery", DeliverySettings)  # type: ignore[no-any-return]


def locale_of(hub: Any) -> str:
    return str(getattr(getattr(hub.settings, "hub", None), "locale", "ru") or "ru")


class DeliveryService:
    def __init__(self, hub: Any) -> None:
        self.hub = hub
        self.cfg = settings_of(hub)
        self.locale = locale_of(hub)
        self.wake: dict[str, anyio.Event] = {}  # register -> set when a job is queued
        self.copies_wake = anyio.Event()

    # --- accepting ----------------------------------------------------------------------
    def check(self, p: wire.PaymentTaken, now: datetime) -> tuple[Receipt, contacts.Contact]:
        """Everything that can refuse a payment, before anything is written."""
        office = self.cfg.office(p.site)
        if office is None:
            raise DeliveryError(422, "unknown_site", site=p.site)
        driver = self.cfg.driver(p.driver)
        if driver is None:
            raise DeliveryError(422, "unknown_driver", driver=p.driver)
        if p.client.email is not None and p.client.email.strip():
            try:
                validate_email(p.client.email.strip(), check_deliverability=False)
            except EmailNotValidError as exc:
                raise DeliveryError(422, "invalid_email", value=p.client.email[:80],
                                    why=str(exc).rstrip(".")) from None
        lines = sum(_total(i) for i in p.items)
        if lines != p.payment.amount:
            raise DeliveryError(422, "amount_mismatch", amount=rub(p.payment.amount),
                                lines=rub(lines))
        found = contacts.resolve(p.address.ofd_contact, p.client.email, p.address.phones,
                                 self.cfg.region)
        receipt = self.receipt(p, found.value, now)
        bad = problems(receipt)
        if bad:
            raise DeliveryError(422, "receipt_invalid", why=bad[0].text(self.locale),
                                rule=bad[0].code)
        return receipt, found

    def receipt(self, p: wire.PaymentTaken, contact: str | None, accepted: datetime
                ) -> Receipt:
        office = self.cfg.office(p.site)
        driver = self.cfg.driver(p.driver)
        assert office is not None and driver is not None
        if self.cfg.cashier_of_record == "driver":
            cashier = Cashier(name=driver.name, inn=driver.inn or None)
        else:
            cashier = Cashier(name=office.cashier, inn=office.cashier_inn or None)
        lines = [ReceiptLine(name=i.name, price=i.price, quantity=wire.quantity(i),
                             total=_total(i), vat=VatRate(i.vat), payment_object=_OBJECT[i.object])
                 for i in p.items]
        return Receipt(operation=Operation.SELL, taxation=TaxSystem[office.taxation],
                       lines=lines, payments=[ReceiptPayment(kind=_KIND[p.payment.kind],
                                                             amount=p.payment.amount)],
                       total=sum(ln.total for ln in lines), issued_at=p.paid_at or accepted,
                       cashier=cashier, customer_contact=contact,
                       place=office.place or None, address=office.address or None,
                       electronic_only=driver.mode == "copy" and contact is not None)

    async def accept(self, caller: str, key: str, p: wire.PaymentTaken) -> tuple[dict[str, Any],
                                                                                 bool]:
        """``(job view, created)``; raises ``DeliveryError``. Committed before it returns."""
        now = self.hub.clock.now()
        if p.paid_at is not None and p.paid_at.utcoffset() is None:
            raise DeliveryError(422, "invalid_request", detail="paid_at: нужен часовой пояс")
        body = wire.body_of(p)
        digest = hashlib.sha256(body).hexdigest()
        idem = f"{caller}:{key}"
        known = await self._known(idem, p.order_id, p.payment_id)
        if known is not None:
            return self._replay(known, digest, idem), False
        _, found = self.check(p, now)  # the worker builds the receipt again from the row
        driver = self.cfg.driver(p.driver)
        office = self.cfg.office(p.site)
        assert driver is not None and office is not None
        skipped = driver.mode == "none"
        row = {"idem_key": idem, "order_id": p.order_id, "payment_id": p.payment_id,
               "body_hash": digest, "site": p.site, "register": office.register,
               "driver": p.driver, "mode": driver.mode, "payment_kind": p.payment.kind,
               "amount": p.payment.amount, "request": body.decode(),
               "contact": found.value, "contact_source": found.source,
               "warnings": json.dumps([[w.code, w.value] for w in found.warnings]),
               "status": "skipped" if skipped else "queued", "wait_alerted": False,
               "copy_status": "none", "copy_attempts": 0,
               "copy_reason": "mode_none" if skipped else None,
               "accepted_at": stamp(now), "done_at": stamp(now) if skipped else None}

        def insert(conn: Any) -> tuple[int | None, Any]:
            prior = conn.execute(sa.select(J).where(sa.or_(
                J.c.idem_key == idem, sa.and_(J.c.order_id == p.order_id,
                                              J.c.payment_id == p.payment_id)))).first()
            if prior is not None:  # a concurrent twin committed first
                return None, prior._mapping
            res = conn.execute(J.insert().values(**row))
            return int(res.inserted_primary_key[0]), None

        job_id, prior = await self.hub.write_sync(insert)
        if job_id is None:
            return self._replay(dict(prior), digest, idem), False
        view = await self.job(job_id)
        assert view is not None
        if driver.mode == "copy" and found.warnings:
            await self._contact_alert(job_id, p, found)
        if not skipped:
            self.poke(office.register)
        return view, True

    def _replay(self, known: dict[str, Any], digest: str, idem: str) -> dict[str, Any]:
        if known["body_hash"] != digest:
            if known["idem_key"] == idem:
                raise DeliveryError(409, "idempotency_key_reused")
            raise DeliveryError(409, "payment_already_taken", order=known["order_id"],
                                payment=known["payment_id"], job=known["id"])
        return self.view(known)

    async def _known(self, idem: str, order: str, payment: str) -> dict[str, Any] | None:
        async with self.hub.engine.connect() as conn:
            r = (await conn.execute(sa.select(J).where(sa.or_(
                J.c.idem_key == idem, sa.and_(J.c.order_id == order,
                                              J.c.payment_id == payment))
            ).order_by(J.c.id))).first()
        return dict(r._mapping) if r is not None else None

    async def _contact_alert(self, job_id: int, p: wire.PaymentTaken,
                             found: contacts.Contact) -> None:
        from kassa.model import Event

        from kassa_delivery.kinds import CONTACT

        text = "; ".join(t(f"delivery.warn.{w.code}", self.locale, value=w.value)
                         for w in found.warnings)
        await self.hub.emit(Event.of(
            site=p.site, kind=CONTACT, source_key=f"{CONTACT}:{job_id}",
            occurred_at=self.hub.clock.now(), order=p.order_id, employee=p.driver,
            reason=t("delivery.alert.contact", self.locale, order=p.order_id, driver=p.driver,
                     text=text),
            data={"job": job_id, "warnings": [w.code for w in found.warnings]}))

    def poke(self, register: str) -> None:
        ev = self.wake.get(register)
        if ev is not None:
            ev.set()

    # --- reading ------------------------------------------------------------------------
    async def row(self, job_id: int) -> dict[str, Any] | None:
        async with self.hub.engine.connect() as conn:
            r = (await conn.execute(sa.select(J).where(J.c.id == job_id))).first()
        return dict(r._mapping) if r is not None else None

    async def job(self, job_id: int) -> dict[str, Any] | None:
        r = await self.row(job_id)
        return None if r is None else self.view(r)

    async def jobs(self, *, status: str | None = None, driver: str | None = None,
                   order: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        q = sa.select(J).order_by(J.c.id.desc()).limit(limit)
        if order is not None:
            q = q.where(J.c.order_id == order)
        if status:
            q = q.where(J.c.status == status)
        if driver:
            q = q.where(J.c.driver == driver)
        async with self.hub.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [self.view(dict(r._mapping)) for r in rows]

    def view(self, r: dict[str, Any]) -> dict[str, Any]:
        """What the API and the CLI show of a job (contacts masked)."""
        loc = self.locale
        warnings = [{"code": c, "message": t(f"delivery.warn.{c}", loc, value=v)}
                    for c, v in json.loads(r["warnings"] or "[]")]
        fiscal = None
        if r["document"]:
            doc = codec.from_dict(json.loads(r["document"]), FiscalDocument)
            fiscal = {"fd": doc.number, "fp": doc.fiscal_sign, "fn": doc.fn, "qr": doc.qr,
                      "issued_at": doc.issued_at.isoformat(), "shift": doc.shift,
                      "link": self.link(doc)}
        waiting = None
        if r["status"] == "queued" and r["waiting"]:
            waiting = {"reason": r["waiting"],
                       "minutes": round((self.hub.clock.now() - unstamp(r["accepted_at"])
                                         ).total_seconds() / 60, 1)}
        reason = r["copy_reason"]
        return {"job_id": r["id"], "order_id": r["order_id"], "payment_id": r["payment_id"],
                "site": r["site"], "driver": r["driver"], "mode": r["mode"],
                "status": r["status"], "amount": r["amount"], "payment_kind": r["payment_kind"],
                "accepted_at": unstamp(r["accepted_at"]).isoformat(),
                "done_at": unstamp(r["done_at"]).isoformat() if r["done_at"] else None,
                "waiting": waiting, "fiscal": fiscal,
                "copy": {"status": r["copy_status"],
                         "to": contacts.mask(r["contact"]) if r["contact"] else None,
                         "source": r["contact_source"],
                         "reason": _reason(reason, loc)},
                "warnings": warnings,
                "error": r["error"]}

    def link(self, doc: FiscalDocument) -> str | None:
        tpl = self.cfg.receipt_link
        if not tpl or doc.qr is None:
            return None
        return tpl.format(qr=doc.qr, fn=doc.fn, fd=doc.number, fp=doc.fiscal_sign)

    def zone(self, site: str | None = None) -> ZoneInfo:
        code = site or (self.cfg.offices[0].site if self.cfg.offices else "")
        return ZoneInfo(self.hub.site(code).timezone)

    async def summary(self, driver: str, day: date, site: str | None = None) -> dict[str, Any]:
        """The driver's day (in the office's time zone): counts, cash/card totals, copies."""
        start = datetime(day.year, day.month, day.day, tzinfo=self.zone(site))
        end = start + timedelta(days=1)
        q = sa.select(J).where(J.c.driver == driver, J.c.accepted_at >= stamp(start),
                               J.c.accepted_at < stamp(end)).order_by(J.c.id)
        async with self.hub.engine.connect() as conn:
            rows = [dict(r._mapping) for r in (await conn.execute(q)).all()]
        out: dict[str, Any] = {"driver": driver, "day": day.isoformat(), "jobs": len(rows),
                               "fiscalised": 0, "queued": 0, "failed": 0, "skipped": 0,
                               "cash": 0, "card": 0, "prepaid": 0,
                               "copies_sent": 0, "copies_not_sent": 0, "copies_by_ofd": 0}
        for r in rows:
            out[r["status"]] += 1
            if r["status"] == "fiscalised":
                out[r["payment_kind"]] += r["amount"]
            out["copies_sent"] += r["copy_status"] == "sent"
            out["copies_not_sent"] += r["copy_status"] == "not_sent"
            out["copies_by_ofd"] += r["copy_status"] == "ofd"
        return out

    def stored(self, r: dict[str, Any]) -> wire.PaymentTaken:
        return msgspec.json.decode(r["request"].encode(), type=wire.PaymentTaken)


def _total(i: wire.Item) -> int:
    return i.total if i.total is not None else line_total(i.price, wire.quantity(i))


def _reason(code: str | None, locale: str) -> str | None:
    if not code:
        return None
    name, _, why = code.partition(":")
    return t(f"delivery.copy.{name}", locale, why=why) if name else why


def service_for(hub: Any) -> DeliveryService:
    state = hub.state(STATE)
    svc = state.get("service")
    if svc is None:
        svc = state["service"] = DeliveryService(hub)
    return svc  # type: ignore[no-any-return]
