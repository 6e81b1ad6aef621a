"""Simulated staff: a business day at the sushi bar, and a scripted tour of every fact.

Everything goes through ``Restaurant`` methods, so staff obey the same rules as XML clients.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import anyio

from kassa_rkeeper import sim_data as ref
from kassa_rkeeper.sim_model import Order, Restaurant, SimError

log = logging.getLogger(__name__)

KASSA1, KASSA2 = ref.CASHES[0].ident, ref.CASHES[1].ident
MENU = [m.ident for m in ref.MENUITEMS]
DRINKS = [m.ident for m in ref.MENUITEMS if m.props["Kind"] == "bar"]


def every_fact(rest: Restaurant) -> Iterator[Order | None]:
    """A deterministic script that makes the cash server produce every fact Kassa maps.

    A generator: it pauses after each step so a test (or bench) can let pushes and reads
    happen, as on a real till where people take seconds between actions. A step that yields
    an order needs it read before the next one (``read_back``): a dish changed twice between
    two reads shows r_keeper's final quantity only, so the quantity change would be lost."""
    m = ref.MANAGER_ID
    w1, w2 = ref.WAITER_IDS[:2]
    rest.login(w1, KASSA1)
    yield None
    a = rest.open_order(1, w1, KASSA1, guests=2, category=2)
    for item in (1001, 1002, 1005, 1015):
        rest.add_draft(a, item)
    gone = rest.add_draft(a, 1003)
    rest.delete_dish(a, gone, author=w1)  # unsaved_dish_deleted
    yield None
    rest.save(a, KASSA1)  # order_saved + service_print (kitchen, bar)
    yield None
    unprinted = rest.add_draft(a, 1006)
    rest.save(a, KASSA1, print_=False)
    yield a  # read before the change, or no reader can see it
    rest.change_quantity(a, unprinted, 3000)  # quantity_changed
    yield None
    rest.delete_dish(a, a.sessions[0].dishes[0], author=w1, reason=2, manager=m)  # void
    yield None
    disc = rest.apply_discount(a, 1)
    rest.remove_discount(a, disc)
    yield None
    rest.apply_discount(a, 3, card="7788001")
    yield None
    rest.remove_discount(a, a.discounts[-1])
    yield None
    rest.apply_discount(a, 3, card="7788001")
    yield None
    rest.print_bill(a, KASSA1, ref.CASHIER_ID)
    yield None
    rest.undo_bill(a, reason=3, manager=m)  # precheck_cancelled
    yield None
    rest.print_bill(a, KASSA1, ref.CASHIER_ID)
    yield None
    check = rest.pay(a, KASSA1, ref.CASHIER_ID, [(1, 50000), (2, a.to_pay - 50000)])
    rest.intent_receipt(a, check, corrected=True)
    yield None
    rest.delete_receipt(a, check, reason=5, manager=m, undo=True)  # check_annulled
    yield None
    rest.pay(a, KASSA1, ref.CASHIER_ID, [(2, a.to_pay)])
    yield None
    b = rest.open_order(2, w2, KASSA2, guests=1)
    c = rest.open_order(3, w2, KASSA2, guests=1)
    for item in (1004, 1016):
        rest.add_draft(b, item)
    rest.save(b, KASSA2)
    yield None
    rest.move_dishes(b, c, [b.sessions[0].dishes[0]], w2)  # dish_moved_out / dish_moved_in
    yield None
    rest.add_draft(c, 1017)
    yield None
    rest.quit_unsaved(c, KASSA2, w2)  # order_quit_unsaved
    yield None
    for o in (b, c):
        rest.pay(o, KASSA2, ref.CASHIER_ID, [(1, o.to_pay)])
        yield None
    rest.delete_receipt(c, c.checks[-1], reason=4, manager=m)  # check_deleted
    yield None
    rest.logout(w1)
    yield None
    rest.set_station(KASSA2, False)
    yield None
    rest.set_station(KASSA2, True)
    yield None
    rest.close_shift(closing_for=timedelta(0))
    yield None


async def read_back(step: Order | None, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until a GetOrder answer has shown ``step`` (what ``every_fact`` yields) as it is
    now; None returns at once."""
    if step is None:
        return
    with anyio.fail_after(timeout):
        while step.served_version < step.version:  # noqa: ASYNC110 (the sim has no event)
            await anyio.sleep(0.01)


OPENS, CLOSES = 9, 23  # the simulated restaurant's hours: the shift closes after closing time


def is_open(now: datetime) -> bool:
    """Whether guests come in (one rule for the staff and the card-carrying guests)."""
    return OPENS <= now.hour < CLOSES


class Staff:
    """Runs the restaurant by itself: ``rate`` actions per second, deterministic per seed."""

    def __init__(self, rest: Restaurant, seed: int = 1, rate: float = 1.0) -> None:
        self.rest = rest
        self.rng = random.Random(seed)
        self.rate = rate
        self.actions = 0

    async def run(self) -> None:
        while True:
            await anyio.sleep(1.0 / self.rate)
            try:
                self.step()
            except SimError as exc:  # a refused action is part of a real day too
                log.debug("sim %s: %s", self.rest.code, exc.text)
            self.actions += 1

    def _open(self) -> list[Order]:
        return [o for o in self.rest.orders if not o.finished]

    def step(self) -> None:
        r, rng = self.rest, self.rng
        open_orders = self._open()
        if not is_open(r.clock()):
            if open_orders:
                self.pay(rng.choice(open_orders))
            elif r.orders:
                for w in list(r.logged_in):
                    r.logout(w)
                r.close_shift()
            return
        roll = rng.random()
        if len(open_orders) < 3 or (roll < 0.25 and len(open_orders) < 8):
            self.new_table()
        elif roll < 0.45:
            self.more_dishes(rng.choice(open_orders))
        elif roll < 0.52:
            self.delete_printed(rng.choice(open_orders))
        elif roll < 0.60:
            self.discount(rng.choice(open_orders))
        elif roll < 0.75:
            o = rng.choice(open_orders)
            if o.bill and rng.random() < 0.15:
                r.undo_bill(o, reason=3, manager=ref.MANAGER_ID)
            elif o.dishes() and not o.bill:
                r.print_bill(o, KASSA1, ref.CASHIER_ID)
        elif roll < 0.95:
            self.pay(rng.choice([o for o in open_orders if o.bill] or open_orders))
        elif len(open_orders) >= 2:
            src, dst = rng.sample(open_orders, 2)
            dishes = [d for d in src.dishes() if d.quantity][:1]
            if dishes and not src.bill and not dst.bill:
                r.move_dishes(src, dst, dishes, src.waiter)

    def new_table(self) -> None:
        r, rng = self.rest, self.rng
        busy = {o.table.ident for o in self._open()}
        free = [t.ident for t in ref.TABLES if t.ident not in busy]
        if not free:
            return
        waiter = rng.choice(ref.WAITER_IDS)
        if waiter not in r.logged_in:
            r.login(waiter, KASSA1)
        category = 2 if rng.random() < 0.1 else 1
        order = r.open_order(rng.choice(free), waiter, KASSA1, guests=rng.randint(1, 6),
                             category=category)
        self.more_dishes(order)

    def more_dishes(self, order: Order) -> None:
        r, rng = self.rest, self.rng
        if order.bill:
            return
        for _ in range(rng.randint(1, 4)):
            r.add_draft(order, rng.choice(MENU), 1000 * rng.randint(1, 2))
        if rng.random() < 0.1:
            r.delete_dish(order, rng.choice(order.draft), author=order.waiter)
        if rng.random() < 0.04:
            r.add_draft(order, rng.choice(DRINKS))
            r.quit_unsaved(order, order.station, order.waiter)
            return
        r.save(order, order.station, print_=rng.random() < 0.9)
        unprinted = [d for d in order.dishes() if not d.printed and d.quantity]
        if unprinted and rng.random() < 0.3:
            r.change_quantity(order, unprinted[0], unprinted[0].quantity + 1000)

    def delete_printed(self, order: Order) -> None:
        dishes = [d for d in order.dishes() if d.printed and d.quantity]
        if dishes and not order.bill:
            self.rest.delete_dish(order, self.rng.choice(dishes), author=order.waiter,
                                  reason=self.rng.choice([1, 2]), manager=ref.MANAGER_ID)

    def discount(self, order: Order) -> None:
        r, rng = self.rest, self.rng
        live = [x for x in order.discounts if not x.deleted]
        if order.bill:
            return
        if live and rng.random() < 0.3:
            r.remove_discount(order, rng.choice(live))
        elif not live:
            ident = rng.choice([1, 2, 3])
            card = f"77880{rng.randint(10, 99)}" if ident == 3 else ""
            r.apply_discount(order, ident, card)

    def pay(self, order: Order) -> None:
        r, rng = self.rest, self.rng
        if not order.dishes():
            r.add_draft(order, rng.choice(DRINKS))
            r.save(order, order.station)
        if not order.bill:
            r.print_bill(order, KASSA1, ref.CASHIER_ID)
        total = order.to_pay
        cash = (total // 2 // 10000) * 10000 if rng.random() < 0.3 else 0
        pays = [(1, cash), (2, total - cash)] if cash else [(rng.choice([1, 2]), total)]
        check = r.pay(order, KASSA1, ref.CASHIER_ID, pays)
        if rng.random() < 0.03:
            r.delete_receipt(order, check, reason=4, manager=ref.MANAGER_ID)
