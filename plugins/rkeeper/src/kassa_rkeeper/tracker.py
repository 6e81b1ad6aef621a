"""Orders as XML shows them -> events. The diff engine behind both push and poll.

Every event's source_key is built from r_keeper line_guids, so reading the same order twice
(a notify and then a catch-up poll, or after a restart of Kassa) emits nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from kassa.model import Event, Line

from kassa_rkeeper import mapping, wire

ToTime = Callable[[str | None], datetime]


def name_of(el: ET.Element | None) -> str | None:
    return el.get("name") or el.get("code") or el.get("id") if el is not None else None


def dish_line(d: ET.Element, quantity: int | None = None, amount: int | None = None) -> Line:
    q = wire.to_int(d.get("quantity")) if quantity is None else quantity
    return Line(name=d.get("name") or d.get("code") or "?", quantity=wire.qty_from_wire(q),
                amount=wire.to_int(d.get("amount")) if amount is None else amount,
                code=d.get("code"), price=wire.to_int(d.get("price")) or None)


class OrderTracker:
    """Remembers the last seen version of each order; turns GetOrder answers into events."""

    def __init__(self, site: str, to_time: ToTime) -> None:
        self.site = site
        self.to_time = to_time
        self.quantities: dict[str, dict[str, int]] = {}  # order guid -> dish line_guid -> qty
        self.versions: dict[str, str] = {}
        self.reason_flags: dict[str, set[str]] = {}  # ORDERVOIDS ident -> flags
        self.shift: dict[str, Any] = {}
        self.server_now: str | None = None  # DateTime of the answer: facts XML gives no time for
        # GetReceiptList rows by line_guid: a check's stations and delete time are there, not
        # in GetOrder's PrintCheck (rkeeper.md 1.6)
        self.receipts: dict[str, ET.Element] = {}

    def note_receipt(self, r: ET.Element) -> None:
        self.receipts[r.get("line_guid", "")] = r

    def load_reasons(self, items: list[ET.Element]) -> None:
        for it in items:
            self.reason_flags[it.get("Ident", "")] = {
                k for k, v in it.attrib.items() if k.startswith("ImplOn") and v == "1"}

    def _event(self, fact: str, key: str, when: str | None, order: ET.Element,
               **kw: Any) -> Event:
        kw.setdefault("employee", name_of(order.find("Waiter")))
        kw.setdefault("station", name_of(order.find("Station")))
        data = {"order_guid": order.get("guid"), "rk_fact": fact} | kw.pop("data", {})
        category = order.find("OrderCategory")
        if category is not None:
            data["category"] = category.get("name")
        return Event.of(site=self.site, kind=mapping.kind_of(fact), source_key=key,
                        occurred_at=self.to_time(when or self.server_now),
                        table=name_of(order.find("Table")),
                        order=f"{order.get('visit')}/{order.get('orderIdent')}", data=data, **kw)

    def diff(self, order: ET.Element) -> list[Event]:
        guid = order.get("guid", "")
        version = order.get("version", "")
        before = self.quantities.get(guid)
        now: dict[str, int] = {}
        events: list[Event] = []
        for sess in order.findall("Session"):
            dishes = sess.findall("Dish")
            if dishes:
                events.append(self._event(
                    "order_saved", f"session:{sess.get('line_guid')}", sess.get("printTime"), order,
                    station=name_of(sess.find("Station")) or name_of(order.find("Station")),
                    lines=[dish_line(d) for d in dishes if wire.to_int(d.get("quantity"))],
                    amount=sum(wire.to_int(d.get("amount")) for d in dishes),
                    data={"printed": sess.get("printed") == "1"}))
            for d in dishes:
                lg = d.get("line_guid", "")
                qty = wire.to_int(d.get("quantity"))
                now[lg] = qty
                events += self._voids(order, d)
                old = (before or {}).get(lg)
                voided = sum(wire.to_int(v.get("quantity")) for v in d.findall("Void"))
                if before is not None and old is not None and old != qty and not d.findall("Void"):
                    events.append(self._event(
                        "quantity_changed", f"qty:{lg}:{version}", None, order,
                        lines=[dish_line(d)], data={"before": str(wire.qty_from_wire(old)),
                                                    "after": str(wire.qty_from_wire(qty)),
                                                    "voided": voided}))
        events += self._discounts(order)
        events += self._checks(order)
        self.quantities[guid] = now
        self.versions[guid] = version
        return events

    def _voids(self, order: ET.Element, d: ET.Element) -> list[Event]:
        out = []
        for i, v in enumerate(d.findall("Void")):
            q, amount = wire.to_int(v.get("quantity")), wire.to_int(v.get("amount"))
            out.append(self._event(
                "void", f"void:{d.get('line_guid')}:{i}", v.get("dateTime"), order,
                # the Void's own refItem is the reason (XSD voidItem: id|code|guid, openName);
                # GetOrder names no confirming manager, so none is claimed
                employee=name_of(v.find("Author")), manager=None,
                reason=v.get("name") or v.get("openName") or name_of(v),
                lines=[dish_line(d, q, amount)], amount=amount))
        return out

    def _discounts(self, order: ET.Element) -> list[Event]:
        out = []
        for x in order.findall("Discount"):
            loyal = x.get("charge_source") == "pdsCard"
            lg = x.get("line_guid")
            common = dict(amount=wire.to_int(x.get("amount")),
                          data={"discount": x.get("name"), "card": x.get("cardCode") or None})
            added = "loyalty_discount_added" if loyal else "discount_added"
            out.append(self._event(added, f"disc:{lg}:added", None, order, **common))
            if x.get("deleted") == "1":
                removed = "loyalty_discount_removed" if loyal else "discount_removed"
                out.append(self._event(removed, f"disc:{lg}:removed", None, order, **common))
        return out

    def _checks(self, order: ET.Element) -> list[Event]:
        out = []
        lines = [dish_line(d) for d in order.iter("Dish") if wire.to_int(d.get("quantity"))]
        for c in order.findall("PrintCheck"):
            lg = c.get("line_guid")
            amount = wire.to_int(c.get("amount"))
            receipt = self.receipts.get(lg or "")
            station = None
            if receipt is not None:
                station = (name_of(receipt.find("CloseStation"))
                           or name_of(receipt.find("PrintStation")))
            who = dict(employee=name_of(c.find("Author")),
                       station=station or name_of(order.find("Station")))
            deleted_at = receipt.get("deletetime") if receipt is not None else None
            deleted = c.get("deleted") == "1"
            gone = dict(manager=name_of(c.find("DeleteManager")), reason=name_of(c.find("Reason")))
            if c.get("bill") == "1":
                out.append(self._event("bill_printed", f"bill:{lg}:printed", c.get("printTime"),
                                       order, lines=lines, amount=amount, **who))
                if deleted:
                    out.append(self._event("bill_cancelled", f"bill:{lg}:cancelled",
                                           deleted_at or None, order, lines=lines, amount=amount,
                                           **who | gone))
                continue
            data = self.check_data(order, c)
            out.append(self._event("check_closed", f"check:{lg}:closed", c.get("printTime"), order,
                                   lines=lines, amount=amount, data=data, **who))
            if deleted:
                fact = self.deletion_fact(c.find("Reason"))
                out.append(self._event(fact, f"check:{lg}:deleted", deleted_at or None, order,
                                       lines=lines, amount=amount, data=data, **who | gone))
        return out

    def deletion_fact(self, reason: ET.Element | None) -> str:
        flags = self.reason_flags.get(reason.get("id", "") if reason is not None else "", set())
        if wire.FLAG_CHECK_UNDO in flags and wire.FLAG_CHECK_VOID not in flags:
            return "check_annulled"
        return "check_deleted"

    def check_data(self, order: ET.Element, c: ET.Element) -> dict[str, Any]:
        guests = order.find("Guests")
        return {
            "check": c.get("CheckNum"),
            "payments": [{"currency": p.get("name"), "type": p.get("currencyType") or "other",
                          "amount": wire.to_int(p.get("amount"))} for p in c.findall("Pay")],
            "guests": wire.to_int(guests.get("count")) if guests is not None else 0,
            "discounts": [{"name": x.get("name"), "amount": wire.to_int(x.get("amount")),
                           "loyalty": x.get("charge_source") == "pdsCard"}
                          for x in order.findall("Discount") if x.get("deleted") != "1"],
            "order_sum": wire.to_int(order.get("orderSum")),
            "discount_sum": wire.to_int(order.get("discountSum")),
            "shift": self.shift.get("num"), "shift_date": self.shift.get("date"),
        }

    def bill_of_receipt(self, r: ET.Element) -> list[Event]:
        """A check whose pre-check was printed (``billtime``): the pre-check's line became the
        check's (same line_guid), so GetOrder no longer shows it; the receipt still does.
        This is how a pre-check printed and paid while Kassa was not reading is known."""
        if not r.get("billtime") or r.get("state") not in (str(wire.STATE_CLOSED),
                                                          str(wire.STATE_DELETED)):
            return []
        src = r.find("Order")
        known = dict(src.attrib) if src is not None else {}
        order = ET.Element("Order", guid=known.get("guid", ""), visit=known.get("visit", "?"),
                           orderIdent=known.get("orderIdent", "?"))
        cashier = r.find("Cashier")
        return [self._event("bill_printed", f"bill:{r.get('line_guid')}:printed",
                            r.get("billtime"), order, amount=wire.to_int(r.get("sum")),
                            employee=name_of(cashier), station=name_of(r.find("PrintStation")),
                            data={"from_receipt": True})]

    def receipt_without_order(self, r: ET.Element) -> list[Event]:
        """The order vanished between list and get: report the check from the receipt alone."""
        src = r.find("Order")
        known = dict(src.attrib) if src is not None else {}
        fake = ET.Element("Order", guid=known.get("guid", ""), visit=known.get("visit", "?"),
                          orderIdent=known.get("orderIdent", "?"))
        c = ET.SubElement(fake, "PrintCheck", CheckNum=r.get("checknum", ""),
                          line_guid=r.get("line_guid", ""), amount=r.get("sum", "0"),
                          printTime=r.get("printtime", ""), deleteTime=r.get("deletetime", ""),
                          bill="1" if r.get("state") == "4" else "0",
                          deleted="1" if r.get("state") == "7" else "0")
        for tag, dst in (("Cashier", "Author"), ("DeleteManager", "DeleteManager"),
                         ("DeleteReason", "Reason")):
            el = r.find(tag)
            if el is not None:
                c.append(ET.Element(dst, el.attrib))
        return self._checks(fake)
