"""The simulated shop in ``kassa demo``: a store of its own (a site code of its own, the
register the demo's ATOL emulator runs for it), two tills with cashiers and a manager, and
shoppers who fill baskets from ``simstore.demo_catalog`` and pay at the tills.

Everything goes through the real engine (``Till``): scans of the catalog's barcodes, weighed
goods as the scales print them (a 2x in-store code), now and then an unknown barcode; cash
with change, a card on the sber emulator when the sber plugin is installed; line voids,
check voids, deferred checks resumed on the other till, partial returns by the receipt, and
the drawer opened without a sale. The audit events reach the chats as alerts like r_keeper's.

Two halves, as in the delivery demo: ``ShopSimulator`` is the ``register_simulators``
component (its config fragment: the site, the tills, the staff, ``[pos_demo]``), and
``Shop.run`` is the hub job that ``on_startup`` spawns when ``[pos_demo]`` is on. They meet
in ``TALLY`` (one process), which the headless summary prints.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import anyio
import attrs
from attrs import define
from kassa.errors import RetryLater, UserError

from kassa_pos.engine.barcodes import instore_code, with_check_digit
from kassa_pos.engine.catalog import Catalog, CatalogError, Item, ItemFlag
from kassa_pos.engine.check import Check
from kassa_pos.engine.pay import PayConfig
from kassa_pos.engine.returns import ReturnLine
from kassa_pos.engine.rights import Person
from kassa_pos.engine.till import Till
from kassa_pos.engine.values import Tender
from kassa_pos.kinds import RISKY, Kind
from kassa_pos.sim_settings import ShopSettings

log = logging.getLogger("kassa.pos.sim")
SHOP_SITE = "s1"
TILLS = ("till1", "till2")
PERSON_TILL = "till3"  # no shoppers: the till `kassa pos till --demo` gives a person
STAFF = [{"code": "101", "name": "Анна Кузнецова", "role": "cashier", "pin": "1111"},
         {"code": "102", "name": "Дмитрий Соколов", "role": "cashier"},
         {"code": "190", "name": "Ольга Морозова", "role": "manager",
          "card": "2000000001901", "pin": "7391"}]


@define
class Tally:
    """What the shop did, counted by the shop (the summary's side of the check)."""

    shoppers: int = 0
    checks_paid: int = 0
    receipts: set[tuple[str, int]] = attrs.Factory(set)  # (FN, FD) the register answered
    change_given: int = 0
    by_tender: dict[str, int] = attrs.Factory(dict)
    lines_voided: int = 0
    checks_voided: int = 0
    deferred: int = 0
    resumed: int = 0
    returns: int = 0
    return_receipts: set[tuple[str, int]] = attrs.Factory(set)
    drawer_opened: int = 0
    unknown_scans: int = 0
    bonus_spent: int = 0  # points paid (hundredths)
    risky: int = 0  # risky events the shop emitted (alerts in the chats)
    errors: int = 0  # a cashier's action refused unexpectedly (logged)

    def summary(self) -> dict[str, Any]:
        return {"shoppers": self.shoppers, "checks": self.checks_paid,
                "receipts": len(self.receipts), "returns": self.returns,
                "return_receipts": len(self.return_receipts),
                "lines_voided": self.lines_voided, "checks_voided": self.checks_voided,
                "deferred": self.deferred, "resumed": self.resumed,
                "drawer_opened": self.drawer_opened, "unknown_scans": self.unknown_scans,
                "bonus_spent": self.bonus_spent,
                "alerts": self.risky, "errors": self.errors,
                "tenders": dict(sorted(self.by_tender.items()))}


TALLY: dict[str, Tally] = {}  # site -> the running shop's tally (the demo reads it)


class ShopSimulator:
    """The ``register_simulators`` component: the shop's config fragment. It needs a register:
    the demo lists the shop's site in ``settings.shops`` and the ATOL emulator serves one
    for each (``atol-<site>``); without a ``shops`` list there is no shop."""

    name = "pos"

    def __init__(self, settings: Any) -> None:
        self.site = str((getattr(settings, "shops", None) or [SHOP_SITE])[0])
        self.speed = float(getattr(settings, "speed", 1.0) or 1.0)
        self.seed = int(getattr(settings, "seed", 7) or 7)
        self.locale = str(getattr(settings, "locale", "ru") or "ru")
        self.settings = settings  # its ``endpoints`` are filled before ``start``
        self._sber_dir: str | None = None

    async def start(self) -> Mapping[str, Any]:
        TALLY[self.site] = Tally()
        fragment: dict[str, Any] = {}
        site: dict[str, Any] = {"code": self.site, "name": "Магазин «У дома»",
                                "fiscal": f"atol-{self.site}"}
        terminal = ""
        if importlib.util.find_spec("kassa_sber") is not None:
            # the sber plugin's sb_pilot emulator, named as its own docs configure it (no
            # import of the plugin: a config value)
            self._sber_dir = tempfile.mkdtemp(prefix="kassa-shop-sber-")
            terminal = f"sber-{self.site}"
            fragment["sber"] = {"terminals": [{
                "name": terminal, "pilot": [sys.executable, "-m", "kassa_sber.sim_pilot"],
                "work_dir": self._sber_dir, "suspend": True}]}
            site["terminals"] = [terminal]
        cards = str((getattr(self.settings, "endpoints", None) or {}).get("bonus_cards", ""))
        if cards:  # the bonus demo's cards: shoppers swipe them and pay part with points
            site["payments"] = ["bonus"]
        fragment |= {
            "sites": [site],
            "stations": [{"code": t, "site": self.site} for t in (*TILLS, PERSON_TILL)],
            "pos": {"store": self.site, "staff": STAFF,
                    "tills": [{"name": t, "title": f"Касса {i + 1}"}
                              for i, t in enumerate((*TILLS, PERSON_TILL))]},
            "pos_demo": {"enabled": True, "seed": self.seed, "speed": self.speed,
                         "terminal": terminal, "bonus_cards": cards, "tills": list(TILLS)}}
        return fragment

    async def stop(self) -> None:
        if self._sber_dir is not None:
            shutil.rmtree(self._sber_dir, ignore_errors=True)
            self._sber_dir = None

    def summary(self) -> dict[str, Any]:
        """The shop's figures for the headless summary (a dict: not a chat's count)."""
        tally = TALLY.get(self.site)
        if tally is None:
            raise RuntimeError("the shop did not start")
        return {self.site: tally.summary()}


def sellable(catalog: Catalog) -> tuple[list[Item], list[Item]]:
    """Packaged and weighed goods a shopper picks. Marked goods need a marking code scanned
    from the pack (Chestny ZNAK, checked with the register) and age-restricted ones an ID
    check: the simulated shoppers leave both on the shelf."""
    skip = ItemFlag.MARKING | ItemFlag.AGE_RESTRICTED
    packed: list[Item] = []
    weighed: list[Item] = []
    for item in catalog.items():
        if item.flags & skip or catalog.price(item) is None:
            continue
        (weighed if ItemFlag.WEIGHED in item.flags else packed).append(item)
    return packed, weighed


class Shop:
    """The shop's day on a running hub: ``await Shop.open(hub, cfg)`` then ``run()``."""

    def __init__(self, hub: Any, cfg: ShopSettings, tills: list[Till], tally: Tally) -> None:
        self.hub = hub
        self.cfg = cfg
        self.tills = tills
        self.tally = tally
        self.rng = random.Random(cfg.seed)
        self.site = tills[0].site
        self.catalog = tills[0].catalog
        self.packed, self.weighed = sellable(self.catalog)
        self.prefix, self.layout = sorted(self.catalog.instore.items())[0]
        from kassa_pos.settings import PosSettings

        pos: PosSettings = hub.section("pos", PosSettings)
        people = [tills[0].book.rights.person(s.code) for s in pos.staff]
        staff = [p for p in people if p is not None]
        self.manager = next((p for p in staff if p.role.value == "manager"), None)
        cashiers = [p for p in staff if p.role.value != "manager"] or staff
        self.cashier = {t.name: cashiers[i % len(cashiers)] for i, t in enumerate(tills)}
        # paid checks of two lines or more: (check id, the first line's quantity)
        self.paid: list[tuple[str, Decimal]] = []

    @classmethod
    async def open(cls, hub: Any, cfg: ShopSettings, tally: Tally | None = None) -> Shop:
        from kassa_pos.settings import PosSettings

        pos: PosSettings = hub.section("pos", PosSettings)
        site = pos.store
        catalog = shop_catalog(hub, cfg)
        config = PayConfig(terminals=(cfg.terminal,) if cfg.terminal else (),
                           bonus_method="bonus" if cfg.bonus_cards else None)
        tills = [await Till.open(hub, t.name, catalog=catalog, config=config)
                 for t in pos.tills if not cfg.tills or t.name in cfg.tills]
        if not tills:
            raise UserError("[pos_demo]: the shop has no tills in [pos].")
        tally = tally or TALLY.setdefault(site, Tally())
        return cls(hub, cfg, tills, tally)

    @property
    def closed(self) -> bool:
        """Past ``[pos_demo] close_at``: no more shoppers."""
        return bool(self.cfg.close_at) and time.time() >= self.cfg.close_at

    @property
    def gap(self) -> float:
        """Real seconds between shoppers (see ``ShopSettings``)."""
        return max(self.cfg.arrival_s / self.cfg.speed, 1.0 / self.cfg.pace)

    async def run(self) -> None:
        for till in self.tills:
            if await till.shifts.current(self.site, till.name) is None:
                await till.open_shift(self.cashier[till.name], float_=500000)
        n = 0
        while (not self.cfg.shoppers or n < self.cfg.shoppers) and not self.closed:
            n += 1
            till = self.tills[n % len(self.tills)]
            try:
                await self.shopper(n, till)
            except (UserError, RetryLater) as exc:  # a refusal the shopper did not plan
                self.tally.errors += 1
                log.warning("shop %s, shopper %s at %s: %s", self.site, n, till.name, exc)
            await anyio.sleep(self.gap * self.rng.uniform(0.5, 1.5))
        with contextlib.suppress(Exception):  # let the last alerts settle before a test reads
            await self.hub.drain(timeout=10)

    # --- one shopper ------------------------------------------------------------------------
    async def shopper(self, n: int, till: Till) -> None:
        self.tally.shoppers += 1
        who = self.cashier[till.name]
        if n % 17 == 0:
            await self.drawer(till, who)
        check = await till.new_check(who)
        await self.fill(check, till, who, self.basket_size())
        if n % 9 == 0 and len(check.live) > 1:  # a line taken back, confirmed by the manager
            line = self.rng.choice(check.live)
            await till.book.void_line(check, line.no, reason="покупатель передумал",
                                      actor=who, manager=self.manager)
            self._count(Kind.LINE_VOIDED, "lines_voided")
        if n % 23 == 0:  # the shopper walks away: the check is annulled
            await till.book.void_check(check, reason="покупатель ушёл", actor=who,
                                       manager=self.manager)
            self._count(Kind.CHECK_VOIDED, "checks_voided")
            return
        if n % 13 == 0:  # forgot the wallet: parked, paid later at the other till
            await till.book.defer(check, actor=who)
            self.tally.deferred += 1
            other = self.tills[(self.tills.index(till) + 1) % len(self.tills)]
            check = await other.book.resume(check.id, other.name,
                                            actor=self.cashier[other.name])
            self.tally.resumed += 1
            till, who = other, self.cashier[other.name]
        if n % 5 == 0 and self.cfg.bonus_cards:
            await self.pay_with_points(n, check, till, who)
        else:
            await self.pay(check, till, who)
        if n % 11 == 0 and self.paid:
            await self.give_back(till, who)

    def basket_size(self) -> int:
        """Most baskets are small, a few are a week's shopping (a long right tail)."""
        return max(1, min(40, round(self.rng.lognormvariate(1.6, 0.6))))

    async def fill(self, check: Check, till: Till, who: Person, size: int) -> None:
        for _ in range(size):
            roll = self.rng.random()
            if roll < 0.03:  # a torn label, a code the shop does not sell
                code = with_check_digit(f"46{self.rng.randrange(10 ** 10):010d}")
                if self.catalog.lookup(code) is None:
                    try:
                        await till.scan(check, code, actor=who)
                    except CatalogError:
                        self.tally.unknown_scans += 1  # the cashier types it or puts it by
                    continue
            if roll < 0.25 and self.weighed:  # from the scales: PLU and grams in a 2x code
                item = self.rng.choice(self.weighed)
                grams = self.rng.randint(150, 2400)
                assert item.plu is not None
                code = instore_code(self.prefix, self.layout, plu=item.plu, grams=grams)
                await till.scan(check, code, actor=who)
                continue
            item = self.rng.choice(self.packed)
            qty = 2 if self.rng.random() < 0.1 else None
            await till.scan(check, self.rng.choice(item.barcodes), actor=who, quantity=qty)

    def tenders(self, total: int) -> list[Tender]:
        roll = self.rng.random()
        if self.cfg.terminal and roll < 0.45:
            return [Tender(kind="card", amount=total)]
        if self.cfg.terminal and roll < 0.55 and total > 20000:  # part cash, the rest by card
            cash = total // 2 // 10000 * 10000 or 10000
            return [Tender(kind="cash", amount=cash), Tender(kind="card", amount=total - cash)]
        # cash: the next round note above the total (change), or the exact sum
        note = next((v for v in (10000, 50000, 100000, 200000, 500000) if v >= total), total)
        return [Tender(kind="cash", amount=note if self.rng.random() < 0.8 else total)]

    async def pay_with_points(self, n: int, check: Check, till: Till, who: Person) -> None:
        """A guest of the bonus demo swipes a card (the programme registers it at the first
        swipe, welcome bonus included) and pays up to what the programme's quote allows
        with points, the rest in cash."""
        from kassa_pos.engine.client import ClientService

        lo, _, hi = self.cfg.bonus_cards.partition("-")
        # the top 50 of the range (the restaurants' tills swipe cards of it too)
        card = str(int(hi or lo) - n % 50)
        client = ClientService.of(self.hub, till.name, locale=getattr(self.hub, "locale", "ru"))
        found = await client.show(card)
        if found is None:
            await self.pay(check, till, who)
            return
        await till.book.set_guest(check, found.guest, actor=who)
        quote = await till.book.requote(check, client.program)
        spend = min(found.balance, quote.bonus_spend_max if quote else 0, check.total - 100)
        if spend <= 0:
            await self.pay(check, till, who)
            return
        await self.pay(check, till, who, points=(spend, card))  # the card: what identify reads
        self.tally.bonus_spent += spend

    async def pay(self, check: Check, till: Till, who: Person,
                  points: tuple[int, str] | None = None) -> None:
        if points is None:
            tenders = self.tenders(check.total)
        else:
            spend, account = points
            tenders = [Tender(kind="bonus", amount=spend, account=account),
                       Tender(kind="cash", amount=check.total - spend)]
        try:
            paid = await till.pay(check, tenders, actor=who)
        except RetryLater:  # the register or the terminal is busy: the money is held
            await anyio.sleep(0.5)
            paid = await till.pay(check, tenders, actor=who)
        doc = paid.document
        self.tally.checks_paid += 1
        if doc.fn and doc.number is not None:
            self.tally.receipts.add((doc.fn, doc.number))
        self.tally.change_given += paid.change
        for t in tenders:
            self.tally.by_tender[t.kind] = self.tally.by_tender.get(t.kind, 0) + 1
        live = check.live
        if len(live) > 1:
            self.paid.append((check.id, Decimal(live[0].quantity)))

    async def give_back(self, till: Till, who: Person) -> None:
        """A partial return by the receipt: one unit of the sale's first line comes back (all
        of it when weighed), the rest of the check stays sold."""
        check_id, sold = self.paid.pop(self.rng.randrange(len(self.paid)))
        qty = Decimal(1) if sold >= 1 and sold == sold.to_integral_value() else sold
        back = await till.return_by_receipt(check_id, [ReturnLine(line_no=0, quantity=qty)],
                                            actor=who, manager=self.manager)
        self.tally.returns += 1
        self._risky(Kind.RETURN)
        doc = back.document
        if doc is not None and doc.fn and doc.number is not None:
            self.tally.return_receipts.add((doc.fn, doc.number))

    async def drawer(self, till: Till, who: Person) -> None:
        """The drawer opened with the service key, no sale: the event the owner wants."""
        await till.open_drawer(who, reason="размен", manager=self.manager)
        self._count(Kind.DRAWER_OPENED, "drawer_opened")

    def _count(self, kind: Kind, attr: str) -> None:
        setattr(self.tally, attr, getattr(self.tally, attr) + 1)
        self._risky(kind)

    def _risky(self, kind: Kind) -> None:
        if kind.value in RISKY:
            self.tally.risky += 1


async def run_shop(hub: Any) -> None:
    """The ``on_startup`` job: the shop, when ``[pos_demo] enabled``."""
    cfg: ShopSettings = hub.section("pos_demo", ShopSettings)
    # on_startup runs before the hub has its registers and terminals: wait for all of it
    await hub.event_listeners.ready.wait()
    shop = await Shop.open(hub, cfg)
    await shop.run()
    await anyio.sleep_forever()  # a finished day is not a crash to restart


def shop_catalog(hub: Any, cfg: ShopSettings | None = None) -> Catalog:
    """The simulated shop's catalog (built from ``[pos_demo]``'s seed; the same on every
    till of the demo, the person's too)."""
    from kassa_pos.settings import PosSettings
    from kassa_pos.simstore import demo_catalog

    cfg = cfg or hub.section("pos_demo", ShopSettings)
    return demo_catalog(cfg.seed, cfg.items, site=hub.section("pos", PosSettings).store,
                        clock=hub.clock)


def simulators(settings: Any) -> list[ShopSimulator]:
    """What ``register_simulators`` returns: the shop, when the demo names a shop site."""
    return [ShopSimulator(settings)] if getattr(settings, "shops", None) else []


__all__ = ["TALLY", "Shop", "ShopSettings", "ShopSimulator", "Tally", "run_shop",
           "simulators"]
