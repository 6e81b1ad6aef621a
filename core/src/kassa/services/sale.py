"""Settling a sale at a till in the order DESIGN §5b gives: every payment held or approved
-> the fiscal receipt -> holds captured, suspended card payments committed -> the slips.
If the receipt fails for good (``Permanent``, or a ``UserError``: nothing was fiscalised),
the holds are voided and the card payments rolled back (suspended) or cancelled.

Every step is a journaled call under a key derived from the sale's ``key``, so calling
``settle`` again with the same key (after a crash, a timeout, a ``RetryLater``) resumes
where it stopped and repeats nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from attrs import frozen

from kassa.errors import Permanent, UserError
from kassa.model import CardResult, FiscalDocument, PaymentKind, PaymentResult, PrintJob

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import Receipt

log = logging.getLogger("kassa.services")


@frozen
class CardCharge:
    amount: int  # kopecks
    terminal: str | None = None  # None: the station's / site's terminal


@frozen
class AccountCharge:
    account: str
    amount: int  # kopecks
    method: str | None = None  # bonus, deposit...; None: the only one installed


@frozen
class Settlement:
    document: FiscalDocument
    cards: tuple[CardResult, ...]
    accounts: tuple[PaymentResult, ...]
    slips_printed: bool  # False: no printer, or it failed (the sale stands; reprint later)


async def settle(hub: HubAPI, *, key: str, site: str, receipt: Receipt,
                 station: str | None = None, cards: Sequence[CardCharge] = (),
                 accounts: Sequence[AccountCharge] = (), order_ref: str | None = None
                 ) -> Settlement:
    """Take the payments, fiscalise the receipt, then finish the payments and print the
    card slips. Raises the receipt's error after undoing the payments when it failed for
    good; ``RetryLater`` keeps them (call again with the same key)."""
    electronic = sum(p.amount for p in receipt.payments if p.kind == PaymentKind.ELECTRONIC)
    if electronic != sum(c.amount for c in cards):
        raise UserError(f"the receipt's card payments ({electronic} kopecks) differ from the"
                        f" card charges ({sum(c.amount for c in cards)} kopecks)")
    pay = hub.payments
    holds: list[tuple[AccountCharge, PaymentResult]] = []
    charges: list[tuple[CardCharge, CardResult]] = []
    try:
        for i, a in enumerate(accounts):
            holds.append((a, await pay.hold(a.account, a.amount, key=f"{key}:hold:{i}",
                                            site=site, station=station, method=a.method)))
        for i, c in enumerate(cards):
            charges.append((c, await pay.purchase(c.amount, key=f"{key}:card:{i}", site=site,
                                                  station=station, order_ref=order_ref,
                                                  terminal=c.terminal)))
        doc = await hub.fiscal.receipt(receipt, key=f"{key}:receipt", site=site,
                                       station=station)
    except (Permanent, UserError):
        await _undo(hub, key=key, site=site, station=station, holds=holds, charges=charges)
        raise
    captured = [await pay.capture(h.id, a.amount, key=f"{key}:capture:{i}", site=site,
                                  station=station, method=a.method)
                for i, (a, h) in enumerate(holds)]
    final = [await pay.commit(r, key=f"{key}:commit:{i}", site=site, station=station,
                              terminal=c.terminal) if r.suspended else r
             for i, (c, r) in enumerate(charges)]
    printed = await _slips(hub, key=key, site=site, station=station, cards=final)
    return Settlement(document=doc, cards=tuple(final), accounts=tuple(captured),
                      slips_printed=printed)


async def _undo(hub: HubAPI, *, key: str, site: str, station: str | None,
                holds: list[tuple[AccountCharge, PaymentResult]],
                charges: list[tuple[CardCharge, CardResult]]) -> None:
    """The receipt failed for good: give every payment back (each undo journaled too)."""
    pay = hub.payments
    for i, (a, h) in enumerate(holds):
        await pay.void(h.id, key=f"{key}:void:{i}", site=site, station=station,
                       method=a.method)
    for i, (c, r) in enumerate(charges):
        if r.suspended:
            await pay.rollback(r, key=f"{key}:rollback:{i}", site=site, station=station,
                               terminal=c.terminal)
        else:
            await pay.cancel(r, key=f"{key}:cancel:{i}", site=site, station=station,
                             terminal=c.terminal)


async def _slips(hub: HubAPI, *, key: str, site: str, station: str | None,
                 cards: Sequence[CardResult]) -> bool:
    slips = [r.slip for r in cards if r.slip]
    if not slips:
        return True
    try:
        hub.devices.printer(site=site, station=station)
    except UserError:
        return False  # no printer here: the terminal printed its own slip, or none is kept
    try:
        for i, slip in enumerate(slips):
            await hub.devices.print(PrintJob(lines=tuple(slip.splitlines())),
                                    key=f"{key}:slip:{i}", site=site, station=station)
    except Exception as exc:  # the sale stands; the slip can be printed again by key
        log.warning("sale %s: slip not printed: %s", key, exc)
        return False
    return True


__all__ = ["AccountCharge", "CardCharge", "Settlement", "settle"]
