"""``hub.fiscal``: receipts, corrections, cash in/out, shifts and reports on the register a
site or station names, each through the journal (one receipt per key, ever)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kassa.services.service import Service

if TYPE_CHECKING:
    from kassa.hookspecs.fiscal import FiscalDevice
    from kassa.model import (
        Cashier,
        CorrectionReceipt,
        FiscalDocument,
        FiscalStatus,
        MarkingCheck,
        Receipt,
    )


class FiscalService(Service):
    concern = "fiscal"
    prefix = "fiscal"
    retry_event = "fiscal_unavailable"  # paper out, cover open, offline: a person is needed

    def register(self, *, site: str, station: str | None = None,
                 name: str | None = None) -> tuple[str, FiscalDevice]:
        """The (name, FiscalDevice) that serves the site/station."""
        return self.selection.pick("fiscal", site=site, station=station, name=name)

    async def _doc(self, kind: str, call: Callable[[FiscalDevice], Awaitable[FiscalDocument]],
                   *, key: str, site: str, station: str | None, device: str | None,
                   request: Any, event: str | None) -> FiscalDocument:
        from kassa.model import FiscalDocument

        name, dev = self.register(site=site, station=station, name=device)
        return await self._run(kind, key=key, site=site, station=station, component=name,
                               lookup=dev.lookup, request=request, call=lambda: call(dev),
                               result_type=FiscalDocument, event=event)

    async def receipt(self, receipt: Receipt, *, key: str, site: str,
                      station: str | None = None, device: str | None = None
                      ) -> FiscalDocument:
        """Validate (a ``ReceiptError`` names the line and the tag; nothing is journaled),
        then fiscalise once. Event ``fiscal_receipt``; failures ``fiscal_failed`` /
        ``fiscal_unknown``."""
        from kassa.model.fiscal_rules import validate

        validate(receipt)
        return await self._doc("receipt", lambda d: d.receipt(receipt, key=key), key=key,
                               site=site, station=station, device=device, request=receipt,
                               event="fiscal_receipt")

    async def correction(self, correction: CorrectionReceipt, *, key: str, site: str,
                         station: str | None = None, device: str | None = None
                         ) -> FiscalDocument:
        from kassa.model.fiscal_rules import validate

        validate(correction)
        return await self._doc("correction", lambda d: d.correction(correction, key=key),
                               key=key, site=site, station=station, device=device,
                               request=correction, event="fiscal_correction")

    async def cash_in(self, amount: int, *, key: str, site: str, station: str | None = None,
                      cashier: Cashier | None = None, device: str | None = None
                      ) -> FiscalDocument:
        return await self._doc("cash_in", lambda d: d.cash_in(amount, key=key, cashier=cashier),
                               key=key, site=site, station=station, device=device,
                               request={"amount": amount, "cashier": cashier}, event="cash_in")

    async def cash_out(self, amount: int, *, key: str, site: str, station: str | None = None,
                       cashier: Cashier | None = None, device: str | None = None
                       ) -> FiscalDocument:
        return await self._doc("cash_out",
                               lambda d: d.cash_out(amount, key=key, cashier=cashier),
                               key=key, site=site, station=station, device=device,
                               request={"amount": amount, "cashier": cashier}, event="cash_out")

    async def open_shift(self, cashier: Cashier, *, key: str, site: str,
                         station: str | None = None, device: str | None = None
                         ) -> FiscalDocument:
        return await self._doc("open_shift", lambda d: d.open_shift(cashier, key=key), key=key,
                               site=site, station=station, device=device,
                               request={"cashier": cashier}, event="fiscal_shift_opened")

    async def close_shift(self, cashier: Cashier, *, key: str, site: str,
                          station: str | None = None, device: str | None = None
                          ) -> FiscalDocument:
        """The Z report. Event ``z_report`` (not ``shift_closed``: the restaurant's
        auto-reports follow r_keeper's shift, not the register's)."""
        return await self._doc("close_shift", lambda d: d.close_shift(cashier, key=key),
                               key=key, site=site, station=station, device=device,
                               request={"cashier": cashier}, event="z_report")

    async def x_report(self, *, key: str, site: str, station: str | None = None,
                       device: str | None = None) -> FiscalDocument:
        return await self._doc("x_report", lambda d: d.x_report(key=key), key=key, site=site,
                               station=station, device=device, request={}, event=None)

    async def print_text(self, lines: Sequence[str], *, key: str, site: str,
                         station: str | None = None, device: str | None = None
                         ) -> FiscalDocument:
        """Non-fiscal text on the register, printed once per key."""
        text = list(lines)
        return await self._doc("print_text", lambda d: d.print_text(text, key=key), key=key,
                               site=site, station=station, device=device,
                               request={"lines": text}, event=None)

    async def check_marking(self, code: str, planned_status: int,
                            quantity: Decimal | None = None, *, site: str,
                            station: str | None = None, device: str | None = None
                            ) -> MarkingCheck:
        """Ask the register (and through it the marking system) about a code. A question,
        not an action: not journaled."""
        _, dev = self.register(site=site, station=station, name=device)
        return await dev.check_marking(code, planned_status, quantity)

    async def status(self, *, site: str, station: str | None = None,
                     device: str | None = None) -> FiscalStatus:
        _, dev = self.register(site=site, station=station, name=device)
        return await dev.status()
