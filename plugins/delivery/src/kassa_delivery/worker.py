"""The queue: one loop per office register fiscalises its jobs in acceptance order through
``hub.fiscal.receipt`` with the job's own key (``delivery:<id>``), so a retry after a crash or
a lost answer is the journal's no-op, never a second receipt.

A register that is busy, offline or out of paper (``RetryLater``, or an outcome the journal
does not know yet) holds its queue: the job stays first, its status says why, and once the
oldest waiting job is older than ``max_wait_minutes`` the managers get one alert per outage.
A closed shift is opened (``open_shift``); a receipt the register refuses for good fails that
job with the reason and the queue goes on.

A refund is a job of the same queue (``kind = refund``), accepted after its sale, so it is
fiscalised after the sale's receipt; if that sale failed for good, the refund fails too.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import sqlalchemy as sa
from kassa import codec
from kassa.errors import Permanent, Repair, RetryLater, UserError
from kassa.model import Cashier, Event, FiscalDocument

from kassa_delivery.kinds import FAILED, WAITING
from kassa_delivery.schema import job as J
from kassa_delivery.service import DeliveryService, service_for, stamp, unstamp
from kassa_delivery.texts import t

log = logging.getLogger("kassa.delivery")


def start(hub: Any) -> None:
    svc = service_for(hub)
    registers = sorted({o.register for o in svc.cfg.offices})
    for reg in registers:
        worker = RegisterQueue(svc, reg)
        hub.spawn(worker.run, name=f"delivery-queue-{reg or 'site'}")
    if svc.cfg.offices:
        from kassa_delivery.copies import CopySender

        hub.spawn(CopySender(svc).run, name="delivery-copies")
    if svc.cfg.demo_drivers:
        from kassa_delivery.demo import drive

        hub.spawn(lambda: drive(hub), name="delivery-demo-drivers")


class RegisterQueue:
    def __init__(self, svc: DeliveryService, register: str) -> None:
        self.svc = svc
        self.hub = svc.hub
        self.register = register
        self.alerted_for: int | None = None  # the job whose wait was alerted (one per outage)

    async def run(self) -> None:
        while True:
            wake = self.svc.wake[self.register] = anyio.Event()
            r = await self.next_job()
            if r is None:
                with anyio.move_on_after(30):  # a poke, or a look now and then anyway
                    await wake.wait()
                continue
            pause = await self.process(r)
            if pause:
                with anyio.move_on_after(pause):
                    await anyio.sleep(pause)

    async def next_job(self) -> dict[str, Any] | None:
        q = sa.select(J).where(J.c.status == "queued", J.c.register == self.register) \
            .order_by(J.c.id).limit(1)
        async with self.hub.engine.connect() as conn:
            r = (await conn.execute(q)).first()
        return dict(r._mapping) if r is not None else None

    async def process(self, r: dict[str, Any]) -> float:
        """One attempt at the first job; the pause before the next attempt (0: go on)."""
        svc = self.svc
        if svc.cfg.office(r["site"]) is None or svc.cfg.driver(r["driver"]) is None:
            # taken out of [delivery] after the job was accepted: a person decides
            await self.wait(r, f"office {r['site']} or driver {r['driver']} is no longer "
                            "configured")
            return svc.cfg.retry_seconds
        sale = None
        if r["kind"] == "refund":
            sale = await svc.row(int(r["refund_of"]))
            if sale is None or sale["status"] in ("failed", "skipped"):
                # accepted while its sale was queued; the sale then failed for good
                await self.fail(r, t("delivery.copy.sale_failed", svc.locale)
                                + (f": {sale['error']}" if sale and sale["error"] else ""))
                return 0
            if sale["status"] != "fiscalised":  # the queue's order makes this rare: wait
                await self.wait(r, f"the sale's receipt (job {sale['id']}) is not made yet")
                return svc.cfg.retry_seconds
        receipt = svc.build(r, sale)
        device = self.register or None
        try:  # a register not (yet) installed is a wait for a person, not a refusal
            self.hub.fiscal.register(site=r["site"], name=device)
        except (UserError, LookupError) as exc:
            await self.wait(r, str(exc))
            return svc.cfg.retry_seconds
        try:
            doc = await self.hub.fiscal.receipt(receipt, key=f"delivery:{r['id']}",
                                                site=r["site"], device=device)
        except RetryLater as exc:  # OutcomeUnknown too: the journal asks the register next time
            await self.wait(r, str(exc) or type(exc).__name__)
            return max(svc.cfg.retry_seconds, min(exc.after or 0, 60))
        except UserError as exc:
            code = getattr(exc, "code", "")
            if code == "shift_closed" and svc.cfg.open_shift:
                return await self.open_shift(r)
            if code == "shift_expired":  # a person closes the shift (Z): wait for it
                await self.wait(r, exc.text(svc.locale) if hasattr(exc, "text") else str(exc))
                return svc.cfg.retry_seconds
            await self.fail(r, exc.text(svc.locale) if hasattr(exc, "text") else str(exc))
            return 0
        except (Permanent, Repair) as exc:
            await self.fail(r, str(exc))
            return 0
        await self.done(r, doc)
        return 0

    async def open_shift(self, r: dict[str, Any]) -> float:
        office = self.svc.cfg.office(r["site"])
        name = office.cashier if office else "Кассир"
        try:
            await self.hub.fiscal.open_shift(Cashier(name=name), key=f"delivery:open:{r['id']}",
                                             site=r["site"], device=self.register or None)
        except RetryLater as exc:
            await self.wait(r, str(exc))
            return self.svc.cfg.retry_seconds
        except (UserError, Permanent, Repair) as exc:
            await self.wait(r, str(exc))
            return self.svc.cfg.retry_seconds
        return 0

    async def wait(self, r: dict[str, Any], reason: str) -> None:
        reason = reason[:300]
        if r["waiting"] != reason:
            await self.hub.write_sync(lambda c: c.execute(
                J.update().where(J.c.id == r["id"]).values(waiting=reason)))
        age = (self.hub.clock.now() - unstamp(r["accepted_at"])).total_seconds() / 60
        cfg = self.svc.cfg
        if age >= cfg.max_wait_minutes and self.alerted_for is None:
            self.alerted_for = r["id"]
            count = await self.queued()
            text = t("delivery.alert.waiting", self.svc.locale,
                     register=self.register or r["site"], count=count,
                     minutes=f"{cfg.max_wait_minutes:g}", reason=reason)
            await self.hub.write_sync(lambda c: c.execute(
                J.update().where(J.c.id == r["id"]).values(wait_alerted=True)))
            await self.hub.emit(Event.of(
                site=r["site"], kind=WAITING, occurred_at=self.hub.clock.now(),
                source_key=f"{WAITING}:{self.register}:{r['id']}", reason=text,
                data={"register": self.register, "queued": count, "job": r["id"]}))

    async def queued(self) -> int:
        async with self.hub.engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(J).where(
                J.c.status == "queued", J.c.register == self.register))).scalar() or 0)

    async def done(self, r: dict[str, Any], doc: FiscalDocument) -> None:
        svc = self.svc
        copy, reason = self.copy_plan(r)
        now = stamp(self.hub.clock.now())
        body = json.dumps(codec.to_dict(doc))
        await self.hub.write_sync(lambda c: c.execute(
            J.update().where(J.c.id == r["id"]).values(
                status="fiscalised", document=body, waiting=None, done_at=now,
                copy_status=copy, copy_reason=reason)))
        self.alerted_for = None  # the register answers: a later outage alerts again
        log.info("delivery %s %s (order %s) fiscalised: FD %s, copy %s", r["kind"], r["id"],
                 r["order_id"], doc.number, copy)
        if copy == "pending":
            svc.copies_wake.set()

    def copy_plan(self, r: dict[str, Any]) -> tuple[str, str | None]:
        """``(copy_status, reason)`` once fiscalised: who sends the buyer a copy, if anyone."""
        cfg = self.svc.cfg
        if r["mode"] == "office_print":
            return "none", "mode_office_print"
        if not r["contact"]:
            return "not_sent", "no_contact"
        office = cfg.office(r["site"])
        account = cfg.account(office.ofd_account if office else "")
        by_ofd = account.delivers_email if "@" in r["contact"] else account.delivers_sms
        return ("ofd", "ofd") if by_ofd else ("pending", None)

    async def fail(self, r: dict[str, Any], reason: str) -> None:
        now = stamp(self.hub.clock.now())
        await self.hub.write_sync(lambda c: c.execute(
            J.update().where(J.c.id == r["id"]).values(
                status="failed", error=reason[:1000], waiting=None, done_at=now)))
        log.warning("delivery job %s failed: %s", r["id"], reason)
        await self.hub.emit(Event.of(
            site=r["site"], kind=FAILED, occurred_at=self.hub.clock.now(),
            source_key=f"{FAILED}:{r['id']}", order=r["order_id"], employee=r["driver"],
            amount=r["amount"],
            reason=t("delivery.alert.failed", self.svc.locale, order=r["order_id"],
                     reason=reason), data={"job": r["id"]}))
