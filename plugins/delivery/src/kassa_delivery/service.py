"""Accepting payments into the job table, reading jobs back, and building their receipts.

A job is on disk (committed) before the API answers 202. Dedup: the caller's
``Idempotency-Key`` (scoped to the API key's name) and the order + payment pair; the same key or
pair with another body is a 409, with the same body the first job is answered again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
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

    def _replay(self, known: dict[str, Any], digest: str, idem: str,
                taken: str = "payment_already_taken") -> dict[str, Any]:
        if known["body_hash"] != digest:
            if known["idem_key"] == idem:
                raise DeliveryError(409, "idempotency_key_reused")
            v = self.view(known)
            raise DeliveryError(409, taken, order=known["order_id"], payment=v["payment_id"],
                                refund=v.get("refund_id") or "", job=known["id"])
        return self.view(known)

    # --- refunds ------------------------------------------------------------------------
    async def accept_refund(self, caller: str, key: str, order_id: str, f: wire.RefundTaken,
                            own_driver: str = "") -> tuple[dict[str, Any], bool]:
        """A return of sale for (part of) a paid order: ``(job view, created)``, committed
        before it returns. Never more than was paid per line and in total: the check runs in
        the insert's own write transaction, so two racing refunds cannot both take the last
        unit (SQLite has one writer; on PostgreSQL the sale's row is locked)."""
        now = self.hub.clock.now()
        if f.refunded_at is not None and f.refunded_at.utcoffset() is None:
            raise DeliveryError(422, "invalid_request", detail="refunded_at: нужен часовой пояс")
        body = msgspec.json.encode({"order_id": order_id, **msgspec.to_builtins(f)},
                                   order="sorted")
        digest = hashlib.sha256(body).hexdigest()
        idem = f"{caller}:{key}"
        # '#' is not allowed in a payment_id: a refund's pair never meets a payment's
        pair = "#r:" + hashlib.sha256(f"{f.payment_id}\0{f.refund_id}".encode()).hexdigest()[:48]
        known = await self._known(idem, order_id, pair)
        if known is not None:
            return self._replay(known, digest, idem, taken="refund_already_taken"), False
        sale = await self._sale(order_id, f.payment_id)
        if sale is None or (own_driver and sale["driver"] != own_driver):
            raise DeliveryError(404, "unknown_payment", order=order_id, payment=f.payment_id)
        if sale["status"] == "failed":
            raise DeliveryError(409, "sale_failed", order=order_id, job=sale["id"],
                                why=(sale["error"] or "")[:200])
        if sale["status"] == "skipped":
            raise DeliveryError(409, "sale_without_receipt", order=order_id, job=sale["id"])
        driver_id = f.driver or sale["driver"]
        if own_driver and driver_id != own_driver:
            raise DeliveryError(403, "driver_mismatch", own=own_driver, driver=driver_id)
        if self.cfg.driver(driver_id) is None:
            raise DeliveryError(422, "unknown_driver", driver=driver_id)
        if self.cfg.office(sale["site"]) is None:
            raise DeliveryError(422, "unknown_site", site=sale["site"])
        sold = self.stored(sale)
        request = {"refund": json.loads(body), "driver": driver_id}

        def insert(conn: Any) -> tuple[int | None, Any]:
            prior = conn.execute(sa.select(J).where(sa.or_(
                J.c.idem_key == idem, sa.and_(J.c.order_id == order_id,
                                              J.c.payment_id == pair)))).first()
            if prior is not None:  # a concurrent twin committed first
                return None, prior._mapping
            conn.execute(sa.select(J.c.id).where(J.c.id == sale["id"]).with_for_update())
            before = conn.execute(sa.select(J.c.request).where(
                J.c.refund_of == sale["id"], J.c.kind == "refund",
                J.c.status != "failed")).scalars().all()
            plan = refund_plan(sold, f, [json.loads(b)["lines"] for b in before], order_id)
            total = sum(t for _, _, t in plan)
            if total != f.amount:
                raise DeliveryError(422, "amount_mismatch", amount=rub(f.amount),
                                    lines=rub(total))
            request["lines"] = [[n, str(q), t] for n, q, t in plan]
            receipt = self.refund_receipt(sale, request, now)
            bad = problems(receipt)
            if bad:
                raise DeliveryError(422, "receipt_invalid", why=bad[0].text(self.locale),
                                    rule=bad[0].code)
            res = conn.execute(J.insert().values(
                idem_key=idem, order_id=order_id, payment_id=pair, body_hash=digest,
                site=sale["site"], register=sale["register"], driver=driver_id,
                mode=sale["mode"], payment_kind=sale["payment_kind"], amount=total,
                request=json.dumps(request, ensure_ascii=False), contact=sale["contact"],
                contact_source=sale["contact_source"], warnings="[]", status="queued",
                wait_alerted=False, copy_status="none", copy_attempts=0,
                accepted_at=stamp(now), kind="refund", refund_of=sale["id"]))
            return int(res.inserted_primary_key[0]), None

        job_id, prior = await self.hub.write_sync(insert)
        if job_id is None:
            return self._replay(dict(prior), digest, idem, taken="refund_already_taken"), False
        view = await self.job(job_id)
        assert view is not None
        self.poke(sale["register"])
        return view, True

    async def _sale(self, order_id: str, payment_id: str) -> dict[str, Any] | None:
        async with self.hub.engine.connect() as conn:
            r = (await conn.execute(sa.select(J).where(
                J.c.order_id == order_id, J.c.payment_id == payment_id,
                J.c.kind == "sale"))).first()
        return dict(r._mapping) if r is not None else None

    def refund_receipt(self, sale: dict[str, Any], request: dict[str, Any],
                       accepted: datetime) -> Receipt:
        """The return of sale (1054 = 2) for a refund row's ``request``: the sale's lines at
        the sale's prices and VAT (the rates valid on the sale's date, 1199), the money back
        to the kind the sale was paid with, the sale's 1008 and the same cashier rules."""
        sold = self.stored(sale)
        base = self.receipt(sold, sale["contact"], unstamp(sale["accepted_at"]))
        driver = self.cfg.driver(request["driver"])
        cashier = base.cashier
        if self.cfg.cashier_of_record == "driver" and driver is not None:
            cashier = Cashier(name=driver.name, inn=driver.inn or None)
        lines = []
        for n, q, total in request["lines"]:
            ln = base.lines[n - 1]
            lines.append(ReceiptLine(name=ln.name, price=ln.price, quantity=Decimal(q),
                                     total=total, vat=ln.vat,
                                     payment_object=ln.payment_object))
        at = request["refund"].get("refunded_at")
        issued = datetime.fromisoformat(at) if at else accepted
        total = sum(ln.total for ln in lines)
        return Receipt(operation=Operation.SELL_REFUND, taxation=base.taxation, lines=lines,
                       payments=[ReceiptPayment(kind=_KIND[sale["payment_kind"]],
                                                amount=total)],
                       total=total, issued_at=issued, cashier=cashier,
                       customer_contact=base.customer_contact, place=base.place,
                       address=base.address, electronic_only=base.electronic_only,
                       original_date=base.issued_at.date())

    def build(self, r: dict[str, Any], sale: dict[str, Any] | None = None) -> Receipt:
        """A job's receipt, rebuilt from its row (a refund's needs its sale's row)."""
        if r["kind"] == "refund":
            assert sale is not None
            return self.refund_receipt(sale, json.loads(r["request"]), unstamp(r["accepted_at"]))
        return self.receipt(self.stored(r), r["contact"], unstamp(r["accepted_at"]))

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
        payment_id, refund = r["payment_id"], None
        if r["kind"] == "refund":
            body = json.loads(r["request"])
            payment_id = body["refund"]["payment_id"]
            refund = {"refund_id": body["refund"]["refund_id"], "of_job": r["refund_of"],
                      "lines": [{"line": n, "quantity": q, "total": t}
                                for n, q, t in body["lines"]],
                      "reason": body["refund"].get("reason") or ""}
        return {"job_id": r["id"], "kind": r["kind"], "refund": refund,
                "order_id": r["order_id"], "payment_id": payment_id,
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
        out: dict[str, Any] = {"driver": driver, "day": day.isoformat(),
                               "jobs": sum(r["kind"] == "sale" for r in rows),
                               "fiscalised": 0, "queued": 0, "failed": 0, "skipped": 0,
                               "cash": 0, "card": 0, "prepaid": 0,
                               "copies_sent": 0, "copies_not_sent": 0, "copies_by_ofd": 0,
                               "refunds": 0, "refunded_cash": 0, "refunded_card": 0,
                               "refunded_prepaid": 0}
        for r in rows:
            if r["kind"] == "refund":  # its own counters: jobs/fiscalised/cash stay sales
                out["refunds"] += r["status"] == "fiscalised"
                if r["status"] == "fiscalised":
                    out[f"refunded_{r['payment_kind']}"] += r["amount"]
            else:
                out[r["status"]] += 1
            if r["status"] == "fiscalised" and r["kind"] == "sale":
                out[r["payment_kind"]] += r["amount"]
            out["copies_sent"] += r["copy_status"] == "sent"
            out["copies_not_sent"] += r["copy_status"] == "not_sent"
            out["copies_by_ofd"] += r["copy_status"] == "ofd"
        return out

    def stored(self, r: dict[str, Any]) -> wire.PaymentTaken:
        return msgspec.json.decode(r["request"].encode(), type=wire.PaymentTaken)


def refund_plan(sold: wire.PaymentTaken, f: wire.RefundTaken, before: list[list[Any]],
                order: str) -> list[tuple[int, Decimal, int]]:
    """``[(line, quantity, total)]`` to refund, given the earlier refunds' lines (``before``,
    not failed ones). A line's refunds share its total in proportion to the quantity,
    rounded so that all of them together are exactly the line's total, never more."""
    qty = [wire.quantity(i) for i in sold.items]
    totals = [_total(i) for i in sold.items]
    done_q = [Decimal(0)] * len(qty)
    for lines in before:
        for n, q, _ in lines:
            done_q[n - 1] += Decimal(q)
    asked: dict[int, Decimal] = {}
    if f.lines:
        for rl in f.lines:
            if rl.line > len(qty):
                raise DeliveryError(422, "unknown_line", line=rl.line, lines=len(qty))
            asked[rl.line] = asked.get(rl.line, Decimal(0)) + Decimal(rl.quantity)
    else:  # everything not refunded yet
        asked = {n: qty[n - 1] - done_q[n - 1] for n in range(1, len(qty) + 1)
                 if qty[n - 1] > done_q[n - 1]}
        if not asked:
            raise DeliveryError(409, "refund_exceeds_paid", order=order, line="все",
                                left="0")
    plan = []
    for n in sorted(asked):
        q, left = asked[n], qty[n - 1] - done_q[n - 1]
        if q <= 0:
            raise DeliveryError(422, "invalid_request", detail=f"lines: строка {n}: "
                                "количество должно быть больше нуля")
        if q > left:
            raise DeliveryError(409, "refund_exceeds_paid", order=order, line=str(n),
                                left=f"{left.normalize():f}")
        share = _share(totals[n - 1], qty[n - 1], done_q[n - 1] + q) - \
            _share(totals[n - 1], qty[n - 1], done_q[n - 1])
        plan.append((n, q, share))
    return plan


def _share(total: int, qty: Decimal, part: Decimal) -> int:
    """The part of a line's total that ``part`` of its quantity carries, rounded half up."""
    if part >= qty:
        return total
    return int((total * part / qty).quantize(Decimal(1), rounding=ROUND_HALF_UP))


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
