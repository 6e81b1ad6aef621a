"""The simulator's XML interface: RK7Query in, RK7QueryResult out, with the real rules.

Auth (Basic, employee with the HTTPS access right), urlencoded body -> Query Parse Error,
case-sensitive command names, unknown attributes ignored, lastversion -> No changes.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper import wire
from kassa_rkeeper.httpserve import Request, Response
from kassa_rkeeper.sim_model import Order, PrintCheck, Restaurant, SimError


class _BadParams(Exception):
    pass


def _ref_attrs(el: ET.Element, item: ref.RefItem | None) -> ET.Element:
    if item is not None:
        el.set("id", str(item.ident))
        el.set("code", item.code)
        el.set("name", item.name)
    return el


def _sub(parent: ET.Element, tag: str, item: ref.RefItem | None = None, **attrs: Any) -> ET.Element:
    el = _ref_attrs(ET.SubElement(parent, tag), item)
    for k, v in attrs.items():
        el.set(k, str(int(v)) if isinstance(v, bool) else str(v))
    return el


def _emp(ident: int) -> ref.RefItem | None:
    return ref.by_ident("EMPLOYEES", ident) if ident else None


def _cash(ident: int) -> ref.RefItem | None:
    return ref.by_ident("CASHES", ident) if ident else None


def _int_attr(el: ET.Element | None, name: str) -> int:
    if el is None:
        raise _BadParams("Error: child element not found")
    value = el.get(name) or el.get("id") or el.get("code")
    try:
        return int(value or "")
    except ValueError:
        raise _BadParams(f"Error: attribute \"{name}\" not found") from None


class XmlInterface:
    def __init__(self, rest: Restaurant, net_name: str = "MIDSERVER") -> None:
        self.rest = rest
        self.net_name = net_name
        self.delay = 0.0  # fault injection: slow answers
        self.malformed = 0  # fault injection: the next N answers are truncated XML
        self.started = time.monotonic()
        self.commands: dict[str, Callable[[ET.Element, ET.Element], str | None]] = {
            "GetSystemInfo": self.get_system_info, "GetSystemInfo2": self.get_system_info2,
            "GetRefData": self.get_ref_data, "GetOrderList": self.get_order_list,
            "GetOrder": self.get_order, "GetReceiptList": self.get_receipt_list,
            "CreateOrder": self.create_order, "SaveOrder": self.save_order,
            "PrintBill": self.print_bill, "UndoBill": self.undo_bill, "PayOrder": self.pay_order,
            "DeleteReceipt": self.delete_receipt, "UndoReceipt": self.undo_receipt,
            "CloseCommonShift": self.close_shift,
        }

    # --- transport ------------------------------------------------------------------------
    def authorised(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return any((e.name == user or e.code == user) and e.props.get("Password") == password
                   and e.props.get("HTTPSAccess") == "1" for e in ref.EMPLOYEES)

    async def handle(self, request: Request) -> Response:
        if request.path.split("?")[0] != wire.XML_PATH:
            return Response(404, b"Not found", "text/plain")
        if request.method != "POST":
            return Response(405, b"Method not allowed", "text/plain")
        if not self.authorised(request.headers.get("authorization")):
            return Response(401, b"Unauthorized", "text/plain")
        if self.delay:
            import anyio
            await anyio.sleep(self.delay)
        body = wire.xml_bytes(self.answer(request))
        if self.malformed:
            self.malformed -= 1
            body = body[: len(body) // 2]
        return Response(200, body)

    def answer(self, request: Request) -> ET.Element:
        ctype = request.headers.get("content-type", "")
        if "x-www-form-urlencoded" in ctype or not request.body.strip():
            return self.envelope("", wire.PARSE_ERROR, "Empty input XML")
        try:
            root = ET.fromstring(request.body)
        except ET.ParseError as exc:
            return self.envelope("", wire.PARSE_ERROR, f"XML parse error: {exc}")
        if root.tag != "RK7Query":
            return self.envelope("", wire.PARSE_ERROR, "Root element must be RK7Query")
        cmds = [c for c in root if c.tag in ("RK7CMD", "RK7Command", "RK7Command2")]
        if not cmds:
            return self.envelope("", wire.BAD_PARAMS, 'Error: child element "RK7CMD" not found')
        if len(cmds) == 1 and cmds[0].tag == "RK7CMD":
            return self.run(cmds[0], self.envelope(cmds[0].get("CMD", ""), wire.OK, ""))
        outer = self.envelope("", wire.OK, "")
        for c in cmds:
            self.run(c, _sub(outer, "CommandResult", CMD=c.get("CMD", ""), Status=wire.OK,
                             ErrorText="", DateTime=wire.fmt_dt(self.rest.clock())))
        outer.set("Processed", str(len(cmds)))
        return outer

    def envelope(self, cmd: str, status: str, text: str) -> ET.Element:
        el = ET.Element("RK7QueryResult")
        for k, v in (("ServerVersion", wire.SERVER_VERSION), ("XmlVersion", wire.XML_VERSION),
                     ("NetName", self.net_name), ("Status", status), ("CMD", cmd),
                     ("ErrorText", text), ("DateTime", wire.fmt_dt(self.rest.clock())),
                     ("WorkTime", "0"), ("Processed", "1")):
            el.set(k, v)
        return el

    def run(self, cmd: ET.Element, out: ET.Element) -> ET.Element:
        name = cmd.get("CMD", "")
        fn = self.commands.get(name)
        try:
            if fn is None:
                raise _BadParams(f"Unknown command {name}")
            status = fn(cmd, out)
            if status:
                out.set("Status", status)
        except _BadParams as exc:
            out.set("Status", wire.BAD_PARAMS)
            out.set("ErrorText", str(exc))
        except SimError as exc:
            out.set("Status", wire.EXEC_ERROR)
            out.set("ErrorText", exc.text)
            if exc.code:
                out.set("RK7ErrorN", str(exc.code))
        return out

    # --- reads ----------------------------------------------------------------------------
    def get_system_info(self, cmd: ET.Element, out: ET.Element) -> None:
        _sub(out, "SystemInfo", SystemTime=int(time.time() * 1000), ReqSysVer="2",
             NetName=self.net_name, ProcessID="4788")

    def get_system_info2(self, cmd: ET.Element, out: ET.Element) -> None:
        r = self.rest
        info = _sub(out, "SystemInfo", ProcessID="4788", RestCode=r.code,
                    uptime=int(time.monotonic() - self.started))
        _sub(info, "CashGroup", id="1", code="1", name="Кассовый сервер")
        _sub(info, "Restaurant", id="1", code=r.code, name=r.name)
        _sub(info, "CommonShift", ShiftDate=wire.fmt_dt(r.shift_date), ShiftNum=r.shift_num,
             ShiftStartTime=wire.fmt_dt(r.shift_start))

    def get_ref_data(self, cmd: ET.Element, out: ET.Element) -> None:
        name = cmd.get("RefName", "")
        items = ref.BOOKS.get(name.upper())
        if items is None and name.upper() == "RESTAURANTS":
            items = ref.restaurants(self.rest.code, self.rest.name)
        if items is None:
            raise _BadParams(f"Unknown reference {name}")
        mask = cmd.get("PropMask", "")
        only = None
        if "(" in mask:
            only = {p.strip() for p in mask[mask.index("(") + 1: mask.rindex(")")].split(",")}
        subs = [f.get("Substring", "") for f in cmd.iter("PROPFILTER") if f.get("Name") == "Name"]
        book = _sub(out, "RK7Reference", ClassName=f"T{name.title()}", Name=name.upper(),
                    MinIdent=min(i.ident for i in items), MaxIdent=max(i.ident for i in items),
                    XMLExport="True", LeafCollectionCount="1")
        rows = _sub(book, "Items")
        for item in items:
            if cmd.get("OnlyActive") == "1" and item.status != "rsActive":
                continue
            if subs and not all(s.lower() in item.name.lower() for s in subs):
                continue
            attrs = {"Ident": item.ident, "ItemIdent": item.ident, "SourceIdent": "0",
                     "GUIDString": item.guid, "MainParentIdent": "0", "Name": item.name,
                     "Code": item.code, "Status": item.status}
            if mask == "*" or only:
                attrs.update({k: v for k, v in item.props.items() if k != "Password"})
            if only:
                attrs = {k: v for k, v in attrs.items() if k in only}
            _sub(rows, "Item", **attrs)

    def _lastversion(self, cmd: ET.Element, out: ET.Element, current: int) -> bool:
        out.set("lastversion", str(current))
        return cmd.get("lastversion") == str(current)

    def get_order_list(self, cmd: ET.Element, out: ET.Element) -> str | None:
        if self._lastversion(cmd, out, self.rest.orders_version):
            return wire.NO_CHANGES
        for o in self.rest.orders:
            if cmd.get("onlyOpened") == "1" and o.finished:
                continue
            visit = _sub(out, "Visit", VisitID=o.visit, guid=o.guid, Finished=o.finished,
                         GuestsCount=o.guests)
            waiter, bill = _emp(o.waiter), o.bill
            _sub(_sub(visit, "Orders"), "Order", OrderID=o.ident, Version=o.version,
                 crc32=o.crc32, guid=o.guid, OrderName=f"{o.table.code}", OrderSum=o.sum,
                 ToPaySum=o.to_pay, Finished=o.finished, Bill=bill is not None,
                 BillTime=wire.fmt_dt(bill.at) if bill else "",
                 CreateTime=wire.fmt_dt(o.opened), TableID=o.table.ident,
                 TableCode=o.table.code, WaiterID=o.waiter,
                 WaiterCode=waiter.code if waiter else "",
                 OrderCategID=o.category.ident, OrderCategCode=o.category.code)
        return None

    def get_order(self, cmd: ET.Element, out: ET.Element) -> None:
        self.render_order(self._order(cmd), out)

    def _order(self, cmd: ET.Element) -> Order:
        el = cmd.find("Order")
        if el is None:
            raise _BadParams('Error: child element "Order" not found')
        ident = el.get("orderIdent") or el.get("ident") or "0"
        return self.rest.find(el.get("guid", ""), wire.to_int(el.get("visit")), wire.to_int(ident))

    def render_order(self, o: Order, out: ET.Element) -> None:
        el = _sub(out, "Order", visit=o.visit, orderIdent=o.ident, guid=o.guid,
                  orderName=o.table.code, version=o.version, crc32=o.crc32,
                  openTime=wire.fmt_dt(o.opened), orderSum=o.sum, discountSum=o.discount_sum,
                  unpaidSum=0 if o.paid else o.to_pay,
                  totalPieces=sum(d.quantity for d in o.dishes()), paid=o.paid,
                  finished=o.finished, bill=o.bill is not None)
        _sub(el, "Waiter", _emp(o.waiter))
        _sub(el, "Station", _cash(o.station))
        _sub(el, "OrderCategory", o.category)
        _sub(el, "Table", o.table)
        _sub(el, "Guests", count=o.guests)
        for s in o.sessions:
            sess = _sub(el, "Session", uni=s.uni, line_guid=s.line_guid, isDraft=0,
                        printed=s.printed, printTime=wire.fmt_dt(s.at), sessionID=s.uni)
            _sub(sess, "Station", _cash(s.station))
            for d in s.dishes:
                dish = _sub(sess, "Dish", d.item, uni=d.uni, line_guid=d.line_guid, state=d.state,
                            price=d.price, quantity=d.quantity, amount=d.amount)
                for v in d.voids:
                    void = _sub(dish, "Void", quantity=v.quantity, amount=v.amount,
                                dateTime=wire.fmt_dt(v.at))
                    _sub(void, "Author", _emp(v.author))
                    _sub(void, "Reason", ref.by_ident("ORDERVOIDS", v.reason))
                    if v.manager:
                        _sub(void, "Manager", _emp(v.manager))
        for x in o.discounts:
            disc = _sub(el, "Discount", x.item, uni=x.uni, line_guid=x.line_guid, amount=x.amount,
                        cardCode=x.card, deleted=x.deleted)
            if x.loyalty:
                disc.set("charge_source", "pdsCard")
                _sub(disc, "Interface", ref.DEVICES[0])
        for c in o.checks:
            self.render_check(c, el)

    def render_check(self, c: PrintCheck, parent: ET.Element) -> None:
        pc = _sub(parent, "PrintCheck", CheckNum=c.checknum, line_guid=c.line_guid,
                  amount=c.amount, state=c.state, deleted=c.deleted, bill=c.bill,
                  printTime=wire.fmt_dt(c.at),
                  deleteTime=wire.fmt_dt(c.delete_time) if c.delete_time else "")
        _sub(pc, "Author", _emp(c.author))
        _sub(pc, "Station", _cash(c.station))
        if c.deleted:
            _sub(pc, "Reason", ref.by_ident("ORDERVOIDS", c.reason))
            _sub(pc, "DeleteManager", _emp(c.delete_manager))
        for cur, amount in c.pays:
            currency = ref.by_ident("CURRENCIES", cur)
            _sub(pc, "Pay", currency, amount=amount,
                 currencyType=currency.props["CurrencyType"] if currency else "")

    def get_receipt_list(self, cmd: ET.Element, out: ET.Element) -> str | None:
        current = self.rest.receipts_version
        if cmd.get("lastversion") == str(current):
            out.set("lastversion", str(current))
            return wire.NO_CHANGES
        checks = [(o, c) for o in self.rest.orders for c in o.checks]
        lst = _sub(out, "ReceiptsList", count=len(checks), lastversion=current)
        for o, c in checks:
            rc = _sub(lst, "Receipt", line_guid=c.line_guid, checknum=c.checknum, sum=c.amount,
                      state=c.state, printtime=wire.fmt_dt(c.at),
                      billtime=wire.fmt_dt(c.bill_time) if c.bill_time else "",
                      deletetime=wire.fmt_dt(c.delete_time) if c.delete_time else "")
            _sub(rc, "Order", visit=o.visit, orderIdent=o.ident, guid=o.guid)
            _sub(rc, "Cashier", _emp(c.author))
            if c.deleted:
                _sub(rc, "DeleteManager", _emp(c.delete_manager))
                _sub(rc, "DeleteReason", ref.by_ident("ORDERVOIDS", c.reason))
        return None

    # --- writes ---------------------------------------------------------------------------
    def create_order(self, cmd: ET.Element, out: ET.Element) -> None:
        el = cmd.find("Order")
        if el is None or el.find("Table") is None:
            raise _BadParams('Error: child element "Table" not found')
        guests = el.find("Guests")
        count = len(guests.findall("Guest")) if guests is not None else 1
        order = self.rest.open_order(
            _int_attr(el.find("Table"), "code"),
            _int_attr(el.find("Waiter"), "id") if el.find("Waiter") is not None
            else ref.WAITER_IDS[0],
            _int_attr(el.find("Station"), "id") if el.find("Station") is not None
            else ref.CASHES[0].ident,
            guests=count, category=_int_attr(el.find("OrderCategory"), "id")
            if el.find("OrderCategory") is not None else 1,
            guid=el.get("guid", ""))
        out.set("VisitID", str(order.visit))
        out.set("OrderID", str(order.ident))
        out.set("guid", order.guid)
        self.render_order(order, out)

    def save_order(self, cmd: ET.Element, out: ET.Element) -> None:
        if not self.rest.save_licence:
            raise SimError((0, "Нет лицензии XMLSaveOrder"))
        order = self._order(cmd)
        sess_el = cmd.find("Session")
        if sess_el is None:
            raise _BadParams('Error: child element "Session" not found')
        station = _int_attr(sess_el.find("Station"), "id") if sess_el.find("Station") is not None \
            else order.station
        for d in sess_el.findall("Dish"):
            dish = self.rest.add_draft(order, _int_attr(d, "id"),
                                       wire.to_int(d.get("quantity"), 1000))
            if d.get("price"):
                dish.price = wire.to_int(d.get("price"))
        uni = sess_el.get("uni")
        sess = self.rest.save(order, station, print_=False, uni=int(uni) if uni else None)
        for x in sess_el.findall("Discount"):
            self.rest.apply_discount(order, _int_attr(x, "id"), x.get("cardCode", ""))
        self.render_order(order, out)
        _sub(out, "Session", line_guid=sess.line_guid, sessionID=sess.uni)

    def print_bill(self, cmd: ET.Element, out: ET.Element) -> None:
        order = self._order(cmd)
        check = self.rest.print_bill(order, self._station(cmd, order), ref.CASHIER_ID)
        self.render_check(check, out)

    def _station(self, cmd: ET.Element, order: Order) -> int:
        st = cmd.find("Station")
        return _int_attr(st, "id") if st is not None else order.station

    def _reason_manager(self, cmd: ET.Element) -> tuple[int, int]:
        reason = cmd.find("Reason")
        manager = cmd.find("Manager")
        if reason is None:
            raise _BadParams('Error: child element "Reason" not found')
        return _int_attr(reason, "id"), _int_attr(manager, "id") if manager is not None else 0

    def undo_bill(self, cmd: ET.Element, out: ET.Element) -> None:
        self.rest.undo_bill(self._order(cmd), *self._reason_manager(cmd))

    def pay_order(self, cmd: ET.Element, out: ET.Element) -> None:
        order = self._order(cmd)
        pays = [(_int_attr(p, "id"), wire.to_int(p.get("amount"))) for p in cmd.findall("Payment")]
        cashier = cmd.find("Cashier")
        check = self.rest.pay(order, self._station(cmd, order),
                              _int_attr(cashier, "id") if cashier is not None else ref.CASHIER_ID,
                              pays)
        self.render_check(check, out)

    def _check(self, cmd: ET.Element) -> tuple[Order, PrintCheck]:
        el = cmd.find("Receipt")
        el = cmd.find("PrintCheck") if el is None else el
        guid = el.get("line_guid", "") if el is not None else ""
        for o in self.rest.orders:
            for c in o.checks:
                if c.line_guid == guid:
                    return o, c
        raise SimError((0, f"Чек {guid} не найден"))

    def delete_receipt(self, cmd: ET.Element, out: ET.Element) -> None:
        self.rest.delete_receipt(*self._check(cmd), *self._reason_manager(cmd))

    def undo_receipt(self, cmd: ET.Element, out: ET.Element) -> None:
        self.rest.delete_receipt(*self._check(cmd), *self._reason_manager(cmd), undo=True)

    def close_shift(self, cmd: ET.Element, out: ET.Element) -> None:
        self.rest.close_shift()
