"""Hub events -> till events for video (``PosEvent``). THE table of what is fed.

Kinds are read as data (their names and payload keys), never by importing the plugin that
declares them: r_keeper's (``kassa_rkeeper.kinds``/``tracker``: ``order_saved`` with the
saved lines, ``saved_dish_deleted`` / ``unsaved_dish_deleted``, ``quantity_changed`` with
``data.before/after``, ``discount_added`` with ``data.discount/card``, ``check_closed`` with
``data.payments``, ``check_deleted`` / ``check_annulled``, ``shift_closed``), the core's
fiscal ones (``fiscal_receipt`` with the journal's request, ``fiscal_shift_opened``,
``z_report``, ``cash_in`` / ``cash_out``) and any source's ``drawer_opened``.
A kind not listed is not for video. A payload that does not fit raises ``BadEvent``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from kassa.model import Event, Operation, PosEvent, PosEventKind, PosEventLine, PosOperation

K = PosEventKind
REMEMBERED = 5000  # open receipts kept (a restart forgets them: the next line opens none)


class BadEvent(ValueError):
    """The event's payload is not what its kind promises; the message says what."""


def mask(card: str) -> str:
    digits = str(card).strip()
    return f"…{digits[-4:]}" if len(digits) > 4 else digits


class Receipts:
    """Which orders are open at a till (a receipt_open was fed) and their next position."""

    def __init__(self) -> None:
        self.positions: OrderedDict[str, int] = OrderedDict()

    def opened(self, order: str) -> bool:
        return order in self.positions

    def open(self, order: str) -> None:
        self.positions[order] = 0
        while len(self.positions) > REMEMBERED:
            self.positions.popitem(last=False)

    def position(self, order: str) -> int:
        n = self.positions.get(order, 0) + 1
        self.positions[order] = n
        self.positions.move_to_end(order)
        return n

    def close(self, order: str) -> None:
        self.positions.pop(order, None)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadEvent(f"{what} is not a whole number of kopecks: {value!r}")
    try:
        return int(value)
    except ValueError:
        raise BadEvent(f"{what} is not a whole number of kopecks: {value!r}") from None


def _qty(value: Any, what: str) -> Decimal:
    try:
        q = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise BadEvent(f"{what} is not a quantity: {value!r}") from None
    if not q.is_finite():
        raise BadEvent(f"{what} is not a quantity: {value!r}")
    return q


class Mapper:
    """One per hub: turns each new event into the till events every feed gets."""

    def __init__(self, tz: Callable[[str], tzinfo], words: Callable[..., str]) -> None:
        self.tz = tz  # the site's time zone: the till's clock is local (fiscal.md §8)
        self.words = words  # say(key, **kw) in the feed's language
        self.receipts = Receipts()
        self.table: Mapping[str, Callable[[Event, Any], list[PosEvent]]] = {
            "order_saved": self._saved,
            "quantity_changed": self._quantity,
            "saved_dish_deleted": self._voided,
            "unsaved_dish_deleted": self._voided,
            "discount_added": self._discount,
            "loyalty_discount_added": self._discount,
            "discount_removed": self._discount,
            "loyalty_discount_removed": self._discount,
            "check_closed": self._closed,
            "check_deleted": self._cancelled,
            "check_annulled": self._cancelled,
            "shift_closed": self._shift(K.SHIFT_CLOSE),
            "z_report": self._shift(K.SHIFT_CLOSE),
            "fiscal_shift_opened": self._shift(K.SHIFT_OPEN),
            "drawer_opened": self._drawer,
            "cash_in": self._drawer,
            "cash_out": self._drawer,
            "fiscal_receipt": self._fiscal,
        }

    def kinds(self) -> frozenset[str]:
        return frozenset(self.table)

    def map(self, event: Event, request: Any = None) -> list[PosEvent]:
        """The till events for ``event`` with an empty ``terminal_id`` (each feed sets its
        own); [] for a kind video does not show. ``request``: a fiscal receipt's request
        as the journal keeps it (JSON)."""
        handler = self.table.get(event.kind)
        if handler is None:
            return []
        return handler(event, request)

    # --- helpers -------------------------------------------------------------------------
    def _at(self, event: Event) -> datetime:
        return event.occurred_at.astimezone(self.tz(event.site))

    def _pos(self, event: Event, kind: PosEventKind, **kw: Any) -> PosEvent:
        kw.setdefault("receipt_id", event.order)
        kw.setdefault("cashier", event.employee)
        return PosEvent(kind=kind, at=self._at(event), terminal_id="", **kw)

    def _line(self, order: str, name: Any, quantity: Decimal, price: int | None, amount: int,
              barcode: Any = None) -> PosEventLine:
        if not isinstance(name, str) or not name.strip():
            raise BadEvent(f"a line has no name: {name!r}")
        unit = price if price is not None else (
            int(Decimal(amount) / quantity) if quantity else amount)
        return PosEventLine(position=self.receipts.position(order), name=name,
                            quantity=quantity, price=unit, amount=amount,
                            barcode=str(barcode) if barcode else None)

    def _order(self, event: Event) -> str:
        if not event.order:
            raise BadEvent("it names no order")
        # not by station: an order is taken at a waiter's station and paid at the cash desk
        return f"{event.site}/{event.order}"

    # --- r_keeper ------------------------------------------------------------------------
    def _saved(self, event: Event, _: Any) -> list[PosEvent]:
        order = self._order(event)
        out = []
        if not self.receipts.opened(order):
            self.receipts.open(order)
            out.append(self._pos(event, K.RECEIPT_OPEN))
        for ln in event.lines:
            q = _qty(ln.quantity, "a line's quantity")
            line = self._line(order, ln.name, q, ln.price, _int(ln.amount, "a line's amount"),
                              ln.code)
            out.append(self._pos(event, K.LINE_ADD, line=line))
        return out

    def _voided(self, event: Event, _: Any) -> list[PosEvent]:
        order = self._order(event)
        return [self._pos(event, K.LINE_VOID, line=self._line(
            order, ln.name, _qty(ln.quantity, "a line's quantity"), ln.price,
            _int(ln.amount, "a line's amount"), ln.code)) for ln in event.lines]

    def _quantity(self, event: Event, _: Any) -> list[PosEvent]:
        order = self._order(event)
        if len(event.lines) != 1:
            raise BadEvent(f"a quantity change names {len(event.lines)} lines, not one")
        ln = event.lines[0]
        before = _qty(event.data.get("before"), "data.before")
        after = _qty(event.data.get("after"), "data.after")
        diff = after - before
        if not diff:
            return []
        price = ln.price if ln.price is not None else (
            int(Decimal(ln.amount) / ln.quantity) if ln.quantity else 0)
        amount = int(price * abs(diff))
        line = self._line(order, ln.name, abs(diff), price, amount, ln.code)
        return [self._pos(event, K.LINE_ADD if diff > 0 else K.LINE_VOID, line=line)]

    def _discount(self, event: Event, _: Any) -> list[PosEvent]:
        order = self._order(event)
        name = event.data.get("discount") or "?"
        card = event.data.get("card")
        removed = event.kind.endswith("_removed")
        text = self.words("video.discount_removed" if removed else "video.discount",
                          name=name)
        if card:
            text += " " + self.words("video.card", card=mask(str(card)))
        amount = abs(_int(event.amount or 0, "the discount amount"))
        signed = amount if removed else -amount
        line = self._line(order, text, Decimal(1), signed, signed)
        return [self._pos(event, K.DISCOUNT, line=line, total=signed)]

    def _closed(self, event: Event, _: Any) -> list[PosEvent]:
        order = self._order(event)
        payments = event.data.get("payments", [])
        if not isinstance(payments, list):
            raise BadEvent(f"data.payments is not a list: {payments!r}")
        out = []
        for p in payments:
            if not isinstance(p, Mapping):
                raise BadEvent(f"a payment is not a table: {p!r}")
            out.append(self._pos(event, K.PAYMENT, total=_int(p.get("amount"), "a payment"),
                                 payment_type=str(p.get("currency") or p.get("type") or "")
                                 or None))
        out.append(self._pos(event, K.RECEIPT_CLOSE,
                             total=_int(event.amount or 0, "the check amount")))
        self.receipts.close(order)
        return out

    def _cancelled(self, event: Event, _: Any) -> list[PosEvent]:
        order = self._order(event)
        self.receipts.close(order)
        total = None if event.amount is None else _int(event.amount, "the check amount")
        return [self._pos(event, K.RECEIPT_CANCEL, total=total)]

    def _shift(self, kind: PosEventKind) -> Callable[[Event, Any], list[PosEvent]]:
        def shift(event: Event, _: Any) -> list[PosEvent]:
            return [self._pos(event, kind, receipt_id=None)]
        return shift

    def _drawer(self, event: Event, _: Any) -> list[PosEvent]:
        total = None if event.amount is None else _int(event.amount, "the amount")
        return [self._pos(event, K.DRAWER_OPEN, receipt_id=None, total=total)]

    # --- a fiscal receipt (a till without r_keeper) --------------------------------------
    def _fiscal(self, event: Event, request: Any) -> list[PosEvent]:
        if not isinstance(request, Mapping):
            raise BadEvent("the journal holds no receipt for it")
        result = event.data.get("result") or {}
        number = result.get("receipt_number") or result.get("number") if isinstance(
            result, Mapping) else None
        receipt = str(number or event.data.get("key") or event.source_key)
        order = f"{event.site}/{event.station or ''}/fiscal:{receipt}"
        cashier = request.get("cashier")
        who = cashier.get("name") if isinstance(cashier, Mapping) else None
        common: dict[str, Any] = {"receipt_id": receipt, "cashier": who or event.employee,
                                  "operation": _operation(request.get("operation"))}
        self.receipts.open(order)
        out = [self._pos(event, K.RECEIPT_OPEN, **common)]
        lines = request.get("lines")
        payments = request.get("payments")
        if not isinstance(lines, list) or not isinstance(payments, list):
            raise BadEvent("the receipt has no lines or payments")
        for ln in lines:
            if not isinstance(ln, Mapping):
                raise BadEvent(f"a receipt line is not a table: {ln!r}")
            line = self._line(order, ln.get("name"), _qty(ln.get("quantity"), "a quantity"),
                              _int(ln.get("price"), "a price"), _int(ln.get("total"), "a total"),
                              ln.get("product_code"))
            out.append(self._pos(event, K.LINE_ADD, line=line, **common))
        for p in payments:
            if not isinstance(p, Mapping):
                raise BadEvent(f"a payment is not a table: {p!r}")
            out.append(self._pos(event, K.PAYMENT, total=_int(p.get("amount"), "a payment"),
                                 payment_type=str(p.get("kind") or "") or None, **common))
        out.append(self._pos(event, K.RECEIPT_CLOSE, total=_int(request.get("total"), "total"),
                             **common))
        self.receipts.close(order)
        return out


def _operation(value: Any) -> PosOperation:
    """1054 of the journaled receipt: 2 and 4 are returns (of income, of expense)."""
    try:
        return PosOperation.RETURN if Operation(int(value)).refund else PosOperation.SALE
    except (TypeError, ValueError):
        raise BadEvent(f"the receipt's operation (1054) {value!r} is not 1-4") from None
