"""The simulator's XML interface: RK7Query in, RK7QueryResult out, with the real rules.

Auth (Basic, employee with the HTTPS access right), urlencoded body -> Query Parse Error,
case-sensitive command names, unknown attributes ignored, lastversion -> No changes.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree as ET

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper import sim_render, wire
from kassa_rkeeper.httpserve import Request, Response
from kassa_rkeeper.sim_model import Order, PrintCheck, Restaurant, SimError
from kassa_rkeeper.sim_render import sub as _sub


class _BadParams(Exception):
    pass


def _ref(el: ET.Element | None, book: str, tag: str) -> ref.RefItem:
    """A refItem of the request (rkeeper.md 1.5): ``id`` (Ident), ``code`` or ``guid``."""
    if el is None:
        raise _BadParams(f'Error: child element "{tag}" not found')
    key = el.get("id") or el.get("code") or el.get("guid")
    if not key:
        raise _BadParams(f'Error: attribute "id" of "{tag}" not found')
    item = ref.resolve(book, el.get("id"), el.get("code"), el.get("guid"))
    if item is None:
        raise SimError((0, f"Не найден элемент {key} в коллекции {ref.COLLECTIONS[book]}"))
    return item


def _opt(parent: ET.Element, tag: str, book: str, default: int) -> int:
    el = parent.find(tag)
    return default if el is None else _ref(el, book, tag).ident


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
        for single in ("RefItemIdent", "RefItemGUID"):
            if cmd.get(single):  # answering the whole book would pass for an answer
                raise _BadParams(f"{single} is not simulated (the one-item answer's shape is "
                                 f"not documented)")
        mask = cmd.get("PropMask", "")
        only = None
        # items.(Ident,Name) as in rkeeper.md 1.6; {Ident,Name} as public clients send it
        found = re.search(r"[({]([^)}]*)[)}]", mask)
        if found:
            only = {p.strip() for p in found.group(1).split(",") if p.strip()}
        # PROPFILTER Name="<property>" Substring="...": on any property the item exports
        filters = [(f.get("Name", ""), f.get("Substring", "")) for f in cmd.iter("PROPFILTER")]
        book = _sub(out, "RK7Reference", ClassName=f"T{name.title()}", Name=name.upper(),
                    MinIdent=min(i.ident for i in items), MaxIdent=max(i.ident for i in items),
                    XMLExport="True", LeafCollectionCount="1")
        rows = _sub(book, "Items")
        for item in items:
            if cmd.get("OnlyActive") == "1" and item.status != "rsActive":
                continue
            attrs: dict[str, Any] = {
                "Ident": item.ident, "ItemIdent": item.ident, "SourceIdent": "0",
                "GUIDString": item.guid, "MainParentIdent": "0", "Name": item.name,
                "Code": item.code, "Status": item.status}
            props = {**attrs, **{k: v for k, v in item.props.items() if k != "Password"}}
            if not all(sub.lower() in str(props.get(prop, "")).lower()
                       for prop, sub in filters):
                continue
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
        sim_render.order_list(self.rest, cmd, out)
        return None

    def get_order(self, cmd: ET.Element, out: ET.Element) -> None:
        order = self._order(cmd)
        self.render_order(order, out)
        order.served_version = max(order.served_version, order.version)

    def _order(self, cmd: ET.Element) -> Order:
        el = cmd.find("Order")
        if el is None:
            raise _BadParams('Error: child element "Order" not found')
        ident = el.get("orderIdent") or el.get("ident") or "0"
        return self.rest.find(el.get("guid", ""), wire.to_int(el.get("visit")), wire.to_int(ident))

    def render_order(self, o: Order, out: ET.Element) -> None:
        sim_render.order(o, out)

    def render_check(self, c: PrintCheck, parent: ET.Element) -> None:
        sim_render.check(c, parent)

    def get_receipt_list(self, cmd: ET.Element, out: ET.Element) -> str | None:
        current = self.rest.receipts_version
        if cmd.get("lastversion") == str(current):
            out.set("lastversion", str(current))
            return wire.NO_CHANGES
        sim_render.receipt_list(self.rest, cmd, out)
        return None

    # --- writes ---------------------------------------------------------------------------
    def create_order(self, cmd: ET.Element, out: ET.Element) -> None:
        el = cmd.find("Order")
        if el is None or el.find("Table") is None:
            raise _BadParams('Error: child element "Table" not found')
        guests = el.find("Guests")
        count = len(guests.findall("Guest")) if guests is not None else 1
        order = self.rest.open_order(
            _ref(el.find("Table"), "TABLES", "Table").ident,
            _opt(el, "Waiter", "EMPLOYEES", ref.WAITER_IDS[0]),
            _opt(el, "Station", "CASHES", ref.CASHES[0].ident),
            guests=count, category=_opt(el, "OrderCategory", "UNCHANGEABLEORDERTYPES", 1),
            guid=el.get("guid", ""), comment=el.get("persistentComment", ""),
            note=el.get("nonPersistentComment", ""))
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
        if sess_el.find("Prepay") is not None:  # known to r_keeper, not simulated: say so
            raise _BadParams("Prepay in SaveOrder is not supported by the simulator")
        station = _opt(sess_el, "Station", "CASHES", order.station)
        # resolve everything before changing the order: a bad item leaves it untouched
        dishes = [(_ref(d, "MENUITEMS", "Dish"), d) for d in sess_el.findall("Dish")]
        discounts = [(_ref(x, "DISCOUNTS", "Discount"), x) for x in sess_el.findall("Discount")]
        for item, d in dishes:
            dish = self.rest.add_draft(order, item.ident, wire.to_int(d.get("quantity"), 1000))
            if d.get("price"):
                dish.price = wire.to_int(d.get("price"))
        uni = sess_el.get("uni")
        sess = self.rest.save(order, station, print_=False, uni=int(uni) if uni else None)
        for item, x in discounts:
            self.rest.apply_discount(order, item.ident, x.get("cardCode", ""))
        self.render_order(order, out)
        out.set("basicSum", str(order.to_pay))
        out.set("nationalSum", str(order.to_pay))
        _sub(out, "Session", line_guid=sess.line_guid, sessionID=sess.uni)

    def print_bill(self, cmd: ET.Element, out: ET.Element) -> None:
        order = self._order(cmd)
        check = self.rest.print_bill(order, self._station(cmd, order), ref.CASHIER_ID)
        self.render_check(check, out)

    def _station(self, cmd: ET.Element, order: Order) -> int:
        return _opt(cmd, "Station", "CASHES", order.station)

    def _reason_manager(self, cmd: ET.Element) -> tuple[int, int]:
        return (_ref(cmd.find("Reason"), "ORDERVOIDS", "Reason").ident,
                _opt(cmd, "Manager", "EMPLOYEES", 0))

    def undo_bill(self, cmd: ET.Element, out: ET.Element) -> None:
        self.rest.undo_bill(self._order(cmd), *self._reason_manager(cmd))

    def pay_order(self, cmd: ET.Element, out: ET.Element) -> None:
        order = self._order(cmd)
        pays = [(_ref(p, "CURRENCIES", "Payment").ident, wire.to_int(p.get("amount")))
                for p in cmd.findall("Payment")]
        check = self.rest.pay(order, self._station(cmd, order),
                              _opt(cmd, "Cashier", "EMPLOYEES", ref.CASHIER_ID), pays)
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
