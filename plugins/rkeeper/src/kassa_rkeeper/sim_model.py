"""The simulated cash server's state and the rules every operation obeys.

Both the XML interface (sim_xml) and the simulated staff (sim_life) change the restaurant only
through these methods, so a rule (a reason flag, the full-payment check, the shift lock) is
enforced once. Facts the real server pushes go to ``notices``; facts only our station script
knows go to ``station_events``.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from attrs import define, field

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper import wire


class SimError(Exception):
    """A business rule refused the operation: the XML answer is Query Executing Error."""

    def __init__(self, err: tuple[int, str]) -> None:
        self.code, self.text = err
        super().__init__(self.text)


def new_guid(rng: Any = None) -> str:
    raw = uuid.UUID(int=rng.getrandbits(128), version=4) if rng else uuid.uuid4()
    return "{" + str(raw).upper() + "}"


@define
class Void:
    quantity: int
    amount: int
    at: datetime
    author: int
    reason: int
    manager: int


@define
class Dish:
    uni: int
    line_guid: str
    item: ref.RefItem
    price: int
    quantity: int  # thousandths
    printed: bool = False
    voids: list[Void] = field(factory=list)

    @property
    def amount(self) -> int:
        return self.price * self.quantity // 1000

    @property
    def state(self) -> int:
        if self.quantity == 0 and self.voids:
            return wire.STATE_DELETED
        return wire.STATE_PRINTED if self.printed else wire.STATE_OPEN


@define
class Session:
    uni: int
    line_guid: str
    station: int
    printed: bool
    at: datetime
    dishes: list[Dish] = field(factory=list)


@define
class DiscountLine:
    uni: int
    line_guid: str
    item: ref.RefItem
    amount: int
    card: str = ""
    deleted: bool = False

    @property
    def loyalty(self) -> bool:
        return self.item.props.get("Loyalty") == "1"


@define
class PrintCheck:
    line_guid: str
    checknum: int
    bill: bool
    amount: int
    at: datetime
    station: int
    author: int
    pays: list[tuple[int, int]] = field(factory=list)  # (currency ident, kopecks)
    deleted: bool = False
    delete_time: datetime | None = None
    delete_manager: int = 0
    reason: int = 0
    bill_time: datetime | None = None  # when its pre-check was printed (GetReceiptList billtime)

    @property
    def state(self) -> int:
        if self.deleted:
            return wire.STATE_DELETED
        return wire.STATE_PRINTED if self.bill else wire.STATE_CLOSED


@define
class Order:
    visit: int
    ident: int
    guid: str
    table: ref.RefItem
    waiter: int
    station: int
    category: ref.RefItem
    guests: int
    opened: datetime
    version: int = 1
    sessions: list[Session] = field(factory=list)
    draft: list[Dish] = field(factory=list)  # on the station screen, not saved: invisible to XML
    discounts: list[DiscountLine] = field(factory=list)
    checks: list[PrintCheck] = field(factory=list)
    finished: bool = False
    finish_time: datetime | None = None
    next_uni: int = 1
    served_version: int = 0  # the newest version a GetOrder answer showed (a reader saw it)
    visit_guid: str = ""  # the visit's own GUID (GetOrderList Visit@guid)
    seq_number: int = 0  # GetOrder seqNumber: the order's running number on the server
    persistent_comment: str = ""
    non_persistent_comment: str = ""

    def dishes(self) -> list[Dish]:
        return [d for s in self.sessions for d in s.dishes]

    @property
    def sum(self) -> int:
        return sum(d.amount for d in self.dishes())

    @property
    def discount_sum(self) -> int:
        return sum(x.amount for x in self.discounts if not x.deleted)

    @property
    def to_pay(self) -> int:
        return max(0, self.sum - self.discount_sum)

    @property
    def bill(self) -> PrintCheck | None:
        return next((c for c in self.checks if c.bill and not c.deleted), None)

    @property
    def paid(self) -> bool:
        return any(not c.bill and not c.deleted for c in self.checks)

    @property
    def crc32(self) -> int:
        return zlib.crc32(repr((self.version, self.to_pay, len(self.checks))).encode())

    def uni(self) -> int:
        self.next_uni += 1
        return self.next_uni - 1


@define
class Restaurant:
    code: str
    name: str
    clock: Callable[[], datetime]
    rng: Any
    shift_num: int = 1
    shift_date: datetime = field(factory=lambda: datetime(2026, 1, 1))
    shift_start: datetime = field(factory=lambda: datetime(2026, 1, 1, 9))
    shift_max_age: timedelta = timedelta(hours=36)
    closing_until: datetime | None = None
    orders: list[Order] = field(factory=list)
    orders_version: int = 1
    receipts_version: int = 1
    next_visit: int = 500
    next_seq: int = 1  # orders' seqNumber
    next_check: int = 1
    stations_online: set[int] = field(factory=lambda: {c.ident for c in ref.CASHES})
    logged_in: dict[int, int] = field(factory=dict)  # employee -> station
    save_licence: bool = True
    notices: Callable[[str, dict[str, Any]], None] = lambda name, nodes: None
    station_events: Callable[[str, dict[str, Any]], None] = lambda kind, data: None

    # --- guards ---------------------------------------------------------------------------
    def check_not_closing(self) -> None:
        if self.closing_until and self.clock() < self.closing_until:
            raise SimError(wire.SHIFT_CLOSING)
        self.closing_until = None

    def _changed(self, order: Order, *, receipts: bool = False) -> None:
        order.version += 1
        self.orders_version += 1
        if receipts:
            self.receipts_version += 1
        self.notices("OrderChanged", {"Order": order})

    def _reason(self, ident: int, flag: str) -> ref.RefItem:
        reason = ref.by_ident("ORDERVOIDS", ident)
        if reason is None:
            raise SimError((0, f"Не найден элемент {ident} в коллекции OrderVoids"))
        if reason.props.get(flag) != "1":
            raise SimError(
                (0, f"Причина \"{reason.name}\" не разрешена для этой операции ({flag})"))
        return reason

    def find(self, guid: str = "", visit: int = 0, ident: int = 0) -> Order:
        for o in self.orders:
            if (guid and o.guid == guid) or (visit and o.visit == visit and o.ident == ident):
                return o
        raise SimError((0, f"Заказ {guid or f'{visit}/{ident}'} не найден"))

    # --- orders ---------------------------------------------------------------------------
    def open_order(self, table: int, waiter: int, station: int, guests: int = 1,
                   category: int = 1, guid: str = "", comment: str = "",
                   note: str = "") -> Order:
        self.check_not_closing()
        if self.clock() - self.shift_start > self.shift_max_age:
            raise SimError(wire.SHIFT_TOO_OLD)
        if guests <= 0:
            raise SimError(wire.ZERO_GUESTS)
        tbl = next((t for t in ref.TABLES if t.ident == table or t.code == str(table)), None)
        if tbl is None:
            raise SimError((0, f"Не найден элемент {table} в коллекции Tables"))
        if ref.by_ident("EMPLOYEES", waiter) is None:
            raise SimError((0, f"Не найден элемент {waiter} в коллекции Employees"))
        categ = ref.by_ident("UNCHANGEABLEORDERTYPES", category) or ref.UNCHANGEABLEORDERTYPES[0]
        self.next_visit += 1
        order = Order(self.next_visit, 1, guid or new_guid(self.rng), tbl, waiter, station, categ,
                      guests, self.clock(), visit_guid=new_guid(self.rng),
                      seq_number=self.next_seq, persistent_comment=comment,
                      non_persistent_comment=note)
        self.next_seq += 1
        self.orders.append(order)
        self._changed(order)
        return order

    def add_draft(self, order: Order, item_ident: int, quantity: int = 1000) -> Dish:
        item = ref.by_ident("MENUITEMS", item_ident)
        if item is None:
            raise SimError((0, f"Не найден элемент {item_ident} в коллекции MenuItems"))
        dish = Dish(0, new_guid(self.rng), item, int(item.props["Price"]), quantity)
        order.draft.append(dish)
        return dish

    def save(self, order: Order, station: int, *, print_: bool = True,
             uni: int | None = None) -> Session:
        """Save the draft as a new package, or rewrite an unprinted package (``uni``)."""
        self.check_not_closing()
        if order.finished:
            raise SimError((0, "Заказ закрыт"))
        if uni is not None:
            sess = next((s for s in order.sessions if s.uni == uni), None)
            if sess is None or sess.printed:
                raise SimError((0, f"Пакет {uni} не найден или уже напечатан"))
            sess.dishes = [d for d in sess.dishes if d.voids] + order.draft
        else:
            sess = Session(order.uni(), new_guid(self.rng), station, print_, self.clock())
            sess.dishes = order.draft
            order.sessions.append(sess)
        for d in order.draft:
            d.uni, d.printed = order.uni(), sess.printed
        saved, order.draft = order.draft, []
        if sess.printed and saved:
            self._service_print(order, station, saved)
        self._changed(order)
        return sess

    def _service_print(self, order: Order, station: int, dishes: list[Dish]) -> None:
        for kind, printer in ref.PRINTERS.items():
            mine = [d for d in dishes if d.item.props.get("Kind") == kind]
            if not mine:
                continue
            waiter = ref.by_ident("EMPLOYEES", order.waiter)
            text = "\n".join([f"*** {printer.upper()} ***", f"{order.category.name}",
                              f"{order.table.name}  Заказ {order.visit}/{order.ident}",
                              f"Официант: {waiter.name if waiter else order.waiter}",
                              f"{self.clock():%d.%m.%Y %H:%M}", "-" * 32]
                             + [f"{d.item.name}  x{d.quantity // 1000}" for d in mine])
            self.station_events("service_print", {"order": order, "station": station,
                                                  "printer": printer, "text": text})

    def delete_dish(self, order: Order, dish: Dish, *, author: int, reason: int = 0,
                    manager: int = 0, quantity: int | None = None) -> None:
        """A printed dish gets a Void (seen by XML); an unprinted one just disappears."""
        self.check_not_closing()
        quantity = dish.quantity if quantity is None else quantity
        if dish in order.draft or not dish.printed:
            if dish in order.draft:
                order.draft.remove(dish)
            else:
                for s in order.sessions:
                    if dish in s.dishes:
                        s.dishes.remove(dish)
                self._changed(order)
            self.station_events("unsaved_dish_deleted", {"order": order, "dish": dish,
                                                         "employee": author})
            return
        self._reason(reason, wire.FLAG_DISH_RETURN)
        amount = dish.price * quantity // 1000
        dish.voids.append(Void(quantity, amount, self.clock(), author, reason, manager))
        dish.quantity -= quantity
        self._changed(order)

    def change_quantity(self, order: Order, dish: Dish, quantity: int) -> None:
        if dish.printed:
            raise SimError((0, "Нельзя изменить количество напечатанного блюда"))
        dish.quantity = quantity
        if dish not in order.draft:
            self._changed(order)

    def quit_unsaved(self, order: Order, station: int, employee: int) -> None:
        if order.draft:
            self.station_events("order_quit_unsaved", {"order": order, "dishes": order.draft,
                                                       "station": station, "employee": employee})
        order.draft = []

    def apply_discount(self, order: Order, ident: int, card: str = "") -> DiscountLine:
        item = ref.by_ident("DISCOUNTS", ident)
        if item is None:
            raise SimError((0, f"Не найден элемент {ident} в коллекции Discounts"))
        amount = order.sum * int(item.props["Percent"]) // 10000
        line = DiscountLine(order.uni(), new_guid(self.rng), item, amount, card)
        order.discounts.append(line)
        self._changed(order)
        return line

    def remove_discount(self, order: Order, line: DiscountLine) -> None:
        line.deleted = True
        self._changed(order)

    def move_dishes(self, src: Order, dst: Order, dishes: list[Dish], employee: int) -> None:
        self.check_not_closing()
        sess = Session(dst.uni(), new_guid(self.rng), dst.station, True, self.clock())
        for d in dishes:
            for s in src.sessions:
                if d in s.dishes:
                    s.dishes.remove(d)
            d.uni = dst.uni()
            sess.dishes.append(d)
        dst.sessions.append(sess)
        self.notices("DishesMoved", {"Order": src, "Target": dst, "Dishes": dishes,
                                     "Employee": employee})
        self._changed(src)
        self._changed(dst)

    # --- checks ---------------------------------------------------------------------------
    def print_bill(self, order: Order, station: int, author: int) -> PrintCheck:
        self.check_not_closing()
        if order.bill or order.finished:
            raise SimError((0, "Пречек уже напечатан"))
        check = PrintCheck(new_guid(self.rng), 0, True, order.to_pay, self.clock(), station, author)
        order.checks.append(check)
        self._changed(order, receipts=True)
        return check

    def undo_bill(self, order: Order, reason: int, manager: int) -> None:
        self.check_not_closing()
        bill = order.bill
        if bill is None:
            raise SimError((0, "Пречек не напечатан"))
        self._reason(reason, wire.FLAG_BILL_CANCEL)
        bill.deleted, bill.delete_time, bill.delete_manager, bill.reason = (
            True, self.clock(), manager, reason)
        self._changed(order, receipts=True)

    def pay(self, order: Order, station: int, cashier: int,
            pays: list[tuple[int, int]]) -> PrintCheck:
        self.check_not_closing()
        if station not in self.stations_online:
            raise SimError((0, f"Станция {station} не в сети"))
        if order.finished:
            raise SimError((0, "Заказ уже оплачен"))
        for cur, _ in pays:
            if ref.by_ident("CURRENCIES", cur) is None:
                raise SimError((0, f"Не найден элемент {cur} в коллекции Currencies"))
        if sum(a for _, a in pays) < order.to_pay:
            raise SimError(wire.NOT_ENOUGH_MONEY)
        guid, bill = new_guid(self.rng), order.bill
        if bill is not None:  # the pre-check's line turns into the check (state 4 -> 6)
            order.checks.remove(bill)
            guid = bill.line_guid
        check = PrintCheck(guid, self.next_check, False, order.to_pay, self.clock(),
                           station, cashier, list(pays),
                           bill_time=bill.at if bill is not None else None)
        self.next_check += 1
        order.checks.append(check)
        order.finished, order.finish_time = True, self.clock()
        self.intent_receipt(order, check, corrected=False)
        self._changed(order, receipts=True)
        return check

    def intent_receipt(self, order: Order, check: PrintCheck, *, corrected: bool) -> None:
        self.notices("IntentReceiptCorrected" if corrected else "IntentReceiptPrinted",
                     {"Order": order, "Check": check})

    def delete_receipt(self, order: Order, check: PrintCheck, reason: int, manager: int,
                       *, undo: bool = False) -> None:
        """DeleteReceipt (ImplOnCheckVoid) or UndoReceipt (ImplOnCheckUndo, order reopens)."""
        self.check_not_closing()
        if check.bill or check.deleted:
            raise SimError((0, "Чек не найден или уже удален"))
        self._reason(reason, wire.FLAG_CHECK_UNDO if undo else wire.FLAG_CHECK_VOID)
        check.deleted, check.delete_time, check.delete_manager, check.reason = (
            True, self.clock(), manager, reason)
        if undo:
            order.finished, order.finish_time = False, None
        self._changed(order, receipts=True)

    # --- staff, stations, shift -----------------------------------------------------------
    def login(self, employee: int, station: int) -> None:
        self.logged_in[employee] = station
        self.station_events("employee_login", {"employee": employee, "station": station})

    def logout(self, employee: int) -> None:
        station = self.logged_in.pop(employee, 0)
        self.station_events("employee_logout", {"employee": employee, "station": station})

    def set_station(self, station: int, online: bool) -> None:
        (self.stations_online.add if online else self.stations_online.discard)(station)
        self.notices("Started" if online else "Stopped", {"Station": station})

    def close_shift(self, closing_for: timedelta = timedelta(seconds=2)) -> None:
        self.check_not_closing()
        if any(not o.finished for o in self.orders):
            raise SimError((0, "Нельзя закрыть общую смену: есть незакрытые заказы"))
        self.closing_until = self.clock() + closing_for
        closed = (self.shift_num, self.shift_date)
        self.shift_num += 1
        self.shift_date = self.shift_date + timedelta(days=1)
        self.shift_start = self.clock()
        self.orders.clear()
        self.orders_version += 1
        self.receipts_version += 1
        self.notices("ShiftClosed", {"ShiftNum": closed[0], "ShiftDate": closed[1]})
