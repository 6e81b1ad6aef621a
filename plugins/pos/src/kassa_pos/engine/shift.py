"""The till's shift: open and close through ``hub.fiscal`` (the register's shift; closing it
is the Z report, printed by the register), cash in / out, and the X figures for the screen
from the engine's own records (``pos_pay_cash``), not from the register: they are there
when the register is offline and they say what the drawer should hold.

Every register call has a key from the till's shift number (``pos:<site>:<till>:shift:<n>:
open``...), so a retry after a crash or paper out repeats nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from attrs import frozen
from kassa.model import Cashier, Event, FiscalDocument

from kassa_pos.engine import pay_tables as t
from kassa_pos.engine.pay import PayError, open_shift_no

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "open": "Смена уже открыта.",
        "closed": "Смена не открыта: откройте смену.",
        "amount": "Сумма должна быть больше нуля.",
        "drawer": "В ящике {drawer}, изъять {amount} нельзя.",
    },
    "en": {
        "open": "The shift is already open.",
        "closed": "The shift is not open: open it first.",
        "amount": "The amount must be above zero.",
        "drawer": "The drawer holds {drawer}: {amount} cannot be taken out.",
    },
}


class ShiftError(PayError):
    def text(self, locale: str = "ru") -> str:
        from kassa.model.money import format_money

        loc = locale if locale in _TEXT else "ru"
        params = {k: format_money(v, loc) if isinstance(v, int) else v
                  for k, v in self.params.items()}
        return _TEXT[loc][self.code].format(**params)


@frozen(kw_only=True)
class XReport:
    """The shift so far, from the engine's records (kopecks)."""

    shift: int  # the till's shift number
    fiscal_shift: int | None  # the register's (1038)
    cashier: str
    opened_at: datetime
    sales: int  # how many checks
    sales_total: int
    sales_cash: int  # net of change
    sales_non_cash: int
    refunds: int
    refunds_total: int
    refunds_cash: int
    cash_in: int
    cash_out: int
    float_: int  # put in at the opening

    @property
    def drawer(self) -> int:
        """What the cash drawer should hold now."""
        return (self.float_ + self.sales_cash - self.refunds_cash + self.cash_in
                - self.cash_out)

    @property
    def revenue(self) -> int:
        return self.sales_total - self.refunds_total


class Shifts:
    def __init__(self, hub: HubAPI) -> None:
        self.hub = hub

    async def current(self, site: str, till: str) -> int | None:
        return await self.hub.write_sync(lambda c: open_shift_no(c, site, till))

    async def open(self, *, site: str, till: str, cashier: str, cashier_inn: str | None = None,
                   float_: int = 0) -> FiscalDocument | None:
        """Open the register's shift and the till's; ``float_`` kopecks are put in the
        drawer (a cash-in document). If the register's shift is already open (another
        till shares the register), the till's shift opens on it and None is returned:
        no document was made."""
        if await self.current(site, till) is not None:
            raise ShiftError("open")
        n = await self.hub.write_sync(lambda c: int(c.execute(
            sa.select(sa.func.coalesce(sa.func.max(t.shift.c.n), 0)).where(
                t.shift.c.site == site, t.shift.c.till == till)).scalar_one()) + 1)
        base = f"pos:{site}:{till}:shift:{n}"
        who = Cashier(name=cashier, inn=cashier_inn)
        status = await self.hub.fiscal.status(site=site, station=till)
        if status.shift_open and not status.shift_expired and \
                await self.hub.journal.entry(f"{base}:open") is None:
            doc = None  # the register's shift is already running: no new document
            fiscal_shift = status.shift
        else:
            doc = await self.hub.fiscal.open_shift(who, key=f"{base}:open", site=site,
                                                   station=till)
            fiscal_shift = doc.shift
        now = self.hub.clock.now()
        await self.hub.write_sync(lambda c: c.execute(t.shift.insert(), {
            "site": site, "till": till, "n": n, "fiscal_shift": fiscal_shift,
            "cashier": cashier, "opened_at": now, "closed_at": None, "float": 0}))
        await self._event(site, till, "open", n, cashier, None, f"{base}:opened")
        if float_ > 0:
            await self.cash_in(site=site, till=till, amount=float_, cashier=cashier,
                               op_id="float", opening=True)
        return doc

    async def cash_in(self, *, site: str, till: str, amount: int, cashier: str, op_id: str,
                      opening: bool = False) -> FiscalDocument:
        return await self._cash("in", site=site, till=till, amount=amount, cashier=cashier,
                                op_id=op_id, opening=opening)

    async def cash_out(self, *, site: str, till: str, amount: int, cashier: str,
                       op_id: str) -> FiscalDocument:
        return await self._cash("out", site=site, till=till, amount=amount, cashier=cashier,
                                op_id=op_id)

    async def _cash(self, kind: str, *, site: str, till: str, amount: int, cashier: str,
                    op_id: str, opening: bool = False) -> FiscalDocument:
        if amount <= 0:
            raise ShiftError("amount")
        n = await self.current(site, till)
        if n is None:
            raise ShiftError("closed")
        key = f"pos:{site}:{till}:shift:{n}:cash:{op_id}"
        if kind == "out":
            drawer = (await self.x_report(site=site, till=till)).drawer
            if amount > drawer and await self.hub.journal.entry(key) is None:
                raise ShiftError("drawer", drawer=drawer, amount=amount)
        call = self.hub.fiscal.cash_in if kind == "in" else self.hub.fiscal.cash_out
        doc = await call(amount, key=key, site=site, station=till,
                         cashier=Cashier(name=cashier))
        now = self.hub.clock.now()

        def write(c: Any) -> None:
            if c.execute(sa.select(t.cash.c.key).where(t.cash.c.key == key)).first():
                return
            c.execute(t.cash.insert(), {"key": key, "site": site, "till": till, "shift": n,
                                        "kind": kind, "amount": amount, "non_cash": 0,
                                        "at": now})
            if opening:
                c.execute(t.shift.update().where(
                    t.shift.c.site == site, t.shift.c.till == till,
                    t.shift.c.n == n).values(float=amount))
        await self.hub.write_sync(write)
        await self._event(site, till, kind, n, cashier, amount, f"{key}:event")
        return doc

    async def x_report(self, *, site: str, till: str, shift: int | None = None) -> XReport:
        """The figures of the open shift (or of ``shift``), from the engine's records."""
        def q(c: Any) -> XReport:
            n = shift if shift is not None else open_shift_no(c, site, till)
            if n is None:
                raise ShiftError("closed")
            row = c.execute(sa.select(t.shift).where(
                t.shift.c.site == site, t.shift.c.till == till, t.shift.c.n == n)).one()
            sums = {r.kind: r for r in c.execute(
                sa.select(t.cash.c.kind, sa.func.count().label("count"),
                          sa.func.coalesce(sa.func.sum(t.cash.c.amount), 0).label("cash"),
                          sa.func.coalesce(sa.func.sum(t.cash.c.non_cash), 0).label("other"))
                .where(t.cash.c.site == site, t.cash.c.till == till, t.cash.c.shift == n)
                .group_by(t.cash.c.kind))}

            def get(kind: str, what: str) -> int:
                r = sums.get(kind)
                return 0 if r is None else int(getattr(r, what))

            float_ = int(row.float)
            return XReport(
                shift=n, fiscal_shift=row.fiscal_shift, cashier=row.cashier,
                opened_at=row.opened_at, sales=get("sale", "count"),
                sales_total=get("sale", "cash") + get("sale", "other"),
                sales_cash=get("sale", "cash"), sales_non_cash=get("sale", "other"),
                refunds=get("refund", "count"),
                refunds_total=get("refund", "cash") + get("refund", "other"),
                refunds_cash=get("refund", "cash"), cash_in=get("in", "cash") - float_,
                cash_out=get("out", "cash"), float_=float_)
        return await self.hub.write_sync(q)

    async def close(self, *, site: str, till: str, cashier: str,
                    cashier_inn: str | None = None) -> tuple[XReport, FiscalDocument]:
        """Close the shift: the Z report on the register (a fiscal document), then the
        till's record; returns the last figures with the Z document."""
        n = await self.current(site, till)
        if n is None:
            raise ShiftError("closed")
        figures = await self.x_report(site=site, till=till)
        doc = await self.hub.fiscal.close_shift(Cashier(name=cashier, inn=cashier_inn),
                                                key=f"pos:{site}:{till}:shift:{n}:close",
                                                site=site, station=till)
        now = self.hub.clock.now()
        await self.hub.write_sync(lambda c: c.execute(t.shift.update().where(
            t.shift.c.site == site, t.shift.c.till == till, t.shift.c.n == n).values(
            closed_at=now)))
        await self._event(site, till, "close", n, cashier, figures.revenue,
                          f"pos:{site}:{till}:shift:{n}:closed",
                          data={"z": doc.number, "sales": figures.sales,
                                "drawer": figures.drawer})
        return figures, doc

    async def _event(self, site: str, till: str, what: str, n: int, cashier: str,
                     amount: int | None, source_key: str,
                     data: dict[str, Any] | None = None) -> None:
        from kassa_pos.kinds import Kind

        kind = {"open": Kind.SHIFT_OPENED, "close": Kind.SHIFT_CLOSED, "in": Kind.CASH_IN,
                "out": Kind.CASH_OUT}[what]
        await self.hub.emit(Event.of(site=site, kind=kind, source_key=source_key,
                                     occurred_at=self.hub.clock.now(), station=till,
                                     employee=cashier, amount=amount,
                                     data={"shift": n, **(data or {})}))


__all__ = ["ShiftError", "Shifts", "XReport"]
