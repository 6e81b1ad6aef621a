"""The simulator's read answers, shaped as rkeeper.md §1.6 (XSD 7.26) documents them.

GetOrderList, GetOrder and GetReceiptList: every element and attribute here is one the
documentation names; facts it does not name (a void's confirming manager, a check's delete
time inside GetOrder) are left out rather than invented.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper import wire
from kassa_rkeeper.sim_model import Order, PrintCheck, Restaurant

ORDER_TYPE = ref.CHANGEABLEORDERTYPES[0]  # every simulated order is served in the hall


def sub(parent: ET.Element, tag: str, item: ref.RefItem | None = None, **attrs: Any) -> ET.Element:
    """A child element; ``item`` gives it a refItem's id/code/name."""
    el = ET.SubElement(parent, tag)
    if item is not None:
        el.set("id", str(item.ident))
        el.set("code", item.code)
        el.set("name", item.name)
    for k, v in attrs.items():
        el.set(k, str(int(v)) if isinstance(v, bool) else str(v))
    return el


def emp(ident: int) -> ref.RefItem | None:
    return ref.by_ident("EMPLOYEES", ident) if ident else None


def cash(ident: int) -> ref.RefItem | None:
    return ref.by_ident("CASHES", ident) if ident else None


def _flag(cmd: ET.Element, name: str, default: bool) -> bool:
    value = cmd.get(name)
    return default if value is None else value.strip() in ("1", "true")


def order_list(rest: Restaurant, cmd: ET.Element, out: ET.Element) -> None:
    """GetOrderList's Visit/Orders/Order tree. ``needIdents``/``needCodes`` (default 1) and
    ``needNames`` (default 0) choose which of the ID/Code/Name triples appear; ``<Waiter>``
    and ``<Table>`` filter by refItem."""
    idents, codes = _flag(cmd, "needIdents", True), _flag(cmd, "needCodes", True)
    names = _flag(cmd, "needNames", False)
    only = {tag: ref.resolve(book, el.get("id"), el.get("code"), el.get("guid"))
            for tag, book in (("Waiter", "EMPLOYEES"), ("Table", "TABLES"))
            if (el := cmd.find(tag)) is not None}

    def triple(attrs: dict[str, Any], prefix: str, item: ref.RefItem | None) -> None:
        if idents:
            attrs[f"{prefix}ID"] = item.ident if item else 0
        if codes:
            attrs[f"{prefix}Code"] = item.code if item else ""
        if names:
            attrs[f"{prefix}Name"] = item.name if item else ""

    for o in rest.orders:
        if _flag(cmd, "onlyOpened", False) and o.finished:
            continue
        waiter = emp(o.waiter)
        if "Waiter" in only and (waiter is None or waiter != only["Waiter"]):
            continue
        if "Table" in only and o.table != only["Table"]:
            continue
        visit = sub(out, "Visit", VisitID=o.visit, guid=o.visit_guid, Finished=o.finished,
                    GuestsCount=o.guests, PersistentComment=o.persistent_comment,
                    NonPersistentComment=o.non_persistent_comment)
        guests = sub(visit, "Guests", count=o.guests)
        for n in range(1, o.guests + 1):
            sub(guests, "Guest", GuestLabel=n, closed=o.finished)
        bill = o.bill
        attrs: dict[str, Any] = dict(
            OrderID=o.ident, Version=o.version, crc32=o.crc32, guid=o.guid, url="",
            OrderName=o.table.code, OrderSum=o.sum, ToPaySum=0 if o.paid else o.to_pay,
            PrepaySum=0, PromisedSum=0, PriceListSum=o.sum,
            TotalPieces=sum(d.quantity for d in o.dishes()),
            CreateTime=wire.fmt_dt(o.opened),
            FinishTime=wire.fmt_dt(o.finish_time) if o.finish_time else "",
            Finished=o.finished, Bill=bill is not None,
            BillTime=wire.fmt_dt(bill.at) if bill else "")
        triple(attrs, "Table", o.table)
        triple(attrs, "Waiter", waiter)
        triple(attrs, "OrderCateg", o.category)
        triple(attrs, "OrderType", ORDER_TYPE)
        sub(sub(visit, "Orders"), "Order", **attrs)


def order(o: Order, out: ET.Element) -> None:
    """GetOrder's <Order> (rkeeper.md §1.6 "GetOrder", XSD resOrderItem)."""
    el = sub(out, "Order", visit=o.visit, orderIdent=o.ident, guid=o.guid, url="",
             orderName=o.table.code, seqNumber=o.seq_number, version=o.version, crc32=o.crc32,
             openTime=wire.fmt_dt(o.opened), persistentComment=o.persistent_comment,
             nonPersistentComment=o.non_persistent_comment, orderSum=o.sum, prepaySum=0,
             promisedSum=0, discountSum=o.discount_sum, unpaidSum=0 if o.paid else o.to_pay,
             totalPieces=sum(d.quantity for d in o.dishes()), cookMins=0, paid=o.paid,
             purchase=False, finished=o.finished, locked=False,
             deleted=bool(o.sessions) and not any(d.quantity for d in o.dishes()),
             reserve=False)
    waiter = emp(o.waiter)
    w = sub(el, "Waiter", waiter)
    if waiter is not None:
        sub(w, "Role", ref.role_of(waiter))
    sub(el, "Station", cash(o.station))
    sub(el, "OrderCategory", o.category)
    sub(el, "OrderType", ORDER_TYPE)
    sub(el, "Table", o.table)
    guests = sub(el, "Guests", count=o.guests)
    for n in range(1, o.guests + 1):
        sub(guests, "Guest", guestLabel=n)
    for s in o.sessions:
        sess = sub(el, "Session", uni=s.uni, line_guid=s.line_guid, isDraft=0,
                   printed=s.printed, printTime=wire.fmt_dt(s.at), cookMins=0, sessionID=s.uni)
        sub(sess, "Station", cash(s.station))
        for d in s.dishes:
            voided = sum(v.quantity for v in d.voids)
            dish = sub(sess, "Dish", d.item, uni=d.uni, line_guid=d.line_guid, state=d.state,
                       price=d.price, quantity=d.quantity, srcQuantity=d.quantity + voided,
                       amount=d.amount, paidAmount=d.amount if o.paid else 0)
            for v in d.voids:
                # the void's own refItem is its reason (ORDERVOIDS); Author deleted it
                void = sub(dish, "Void", ref.by_ident("ORDERVOIDS", v.reason),
                           quantity=v.quantity, amount=v.amount, dateTime=wire.fmt_dt(v.at))
                sub(void, "Author", emp(v.author))
    for x in o.discounts:
        disc = sub(el, "Discount", x.item, uni=x.uni, line_guid=x.line_guid, amount=x.amount,
                   cardCode=x.card, deleted=x.deleted)
        if x.loyalty:
            disc.set("charge_source", "pdsCard")  # rkeeper.md §7.25 (ApplyPersonalCard)
            sub(disc, "Interface", ref.DEVICES[0])
    for c in o.checks:
        check(c, el)


def check(c: PrintCheck, parent: ET.Element) -> None:
    """<PrintCheck CheckNum line_guid amount unpaidSum GlobalFiscalID state deleted bill
    printTime startTime><Author/><Reason/><DeleteManager/><Pay/>*</PrintCheck>."""
    pc = sub(parent, "PrintCheck", CheckNum=c.checknum, line_guid=c.line_guid,
             amount=c.amount, unpaidSum=0, state=c.state, deleted=c.deleted, bill=c.bill,
             printTime=wire.fmt_dt(c.at))
    sub(pc, "Author", emp(c.author))
    if c.deleted:
        sub(pc, "Reason", ref.by_ident("ORDERVOIDS", c.reason))
        sub(pc, "DeleteManager", emp(c.delete_manager))
    for cur, amount in c.pays:
        currency = ref.by_ident("CURRENCIES", cur)
        sub(pc, "Pay", currency, amount=amount,
            currencyType=currency.props["CurrencyType"] if currency else "")


def receipt_list(rest: Restaurant, cmd: ET.Element, out: ET.Element) -> None:
    """<ReceiptsList count lastversion><Receipt line_guid checknum sum state seat printtime
    starttime billtime deletetime><Order/><CloseStation/><PrintStation/><Cashier/>
    <DeleteManager/><DeleteReason/></Receipt>; ``line_guid`` and ``<Order>`` filter."""
    want_line = cmd.get("line_guid")
    want = cmd.find("Order")
    checks = [(o, c) for o in rest.orders for c in o.checks
              if (not want_line or c.line_guid == want_line)
              and (want is None or o.guid == want.get("guid")
                   or (str(o.visit) == want.get("visit")
                       and str(o.ident) == (want.get("orderIdent") or want.get("ident"))))]
    lst = sub(out, "ReceiptsList", count=len(checks), lastversion=rest.receipts_version)
    for o, c in checks:
        rc = sub(lst, "Receipt", line_guid=c.line_guid, checknum=c.checknum, sum=c.amount,
                 state=c.state, seat=0, printtime=wire.fmt_dt(c.at),
                 starttime=wire.fmt_dt(o.opened),
                 billtime=wire.fmt_dt(c.bill_time) if c.bill_time else "",
                 deletetime=wire.fmt_dt(c.delete_time) if c.delete_time else "")
        sub(rc, "Order", visit=o.visit, orderIdent=o.ident, guid=o.guid)
        if not c.bill:
            sub(rc, "CloseStation", cash(c.station))
        sub(rc, "PrintStation", cash(c.station))
        sub(rc, "Cashier", emp(c.author))
        if c.deleted:
            sub(rc, "DeleteManager", emp(c.delete_manager))
            sub(rc, "DeleteReason", ref.by_ident("ORDERVOIDS", c.reason))
