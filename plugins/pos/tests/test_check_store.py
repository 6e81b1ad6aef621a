"""The store's checks on a running hub: several open per till, deferred on till 1 and resumed
on till 2 after the hub was reopened, one resume winning over two tills, stale writes
refused, every action audited in the event log, denials audited, the table agreeing with its
migration."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import kassa_pos
import pytest
import sqlalchemy as sa
from kassa.errors import UserError
from kassa.model import Guest, Measure, Quote, QuoteLine, VatRate
from kassa.testing import FakeClock, make_hub
from kassa_pos.engine import check_tables
from kassa_pos.engine.catalog import Item, ItemFlag, Lookup
from kassa_pos.engine.check import CheckState
from kassa_pos.engine.checkbook import CheckBook
from kassa_pos.engine.rights import AccessDenied, Person, Role
from kassa_pos.kinds import Kind

pytestmark = pytest.mark.anyio

CFG = {"sites": [{"code": "s1", "name": "Магазин"}],
       "pos": {"store": "s1", "tills": [{"name": "till1"}, {"name": "till2"}],
               "staff": [{"code": "1", "name": "Анна", "role": "cashier"},
                         {"code": "9", "name": "Олег", "role": "manager",
                          "card": "2000000000099", "pin": "4821"}]}}
ANNA = Person("1", "Анна", Role.CASHIER)
OLEG = Person("9", "Олег", Role.MANAGER)
MILK = Item(code="m1", name="Молоко", vat=VatRate.VAT10, group="dairy",
            barcodes=("4600000000011",))
CHEESE = Item(code="c1", name="Сыр", vat=VatRate.VAT10, unit=Measure.KILOGRAM,
              flags=ItemFlag.WEIGHED, group="dairy")


def hub(tmp: Path, clock: FakeClock | None = None):
    return make_hub(CFG, tmp, plugins=[kassa_pos], clock=clock)


async def test_defer_on_till1_resume_on_till2_after_reopen(tmp_path: Path) -> None:
    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        await book.add(c, Lookup(item=MILK, price=8990, barcode="4600000000011"), actor=ANNA,
                       quantity=2)
        await book.add(c, Lookup(item=CHEESE, price=120000, quantity=Decimal("0.347")),
                       actor=ANNA)
        total, number = c.total, c.number
        assert total == 2 * 8990 + 41640  # 1200.00 x 0.347 = 416.40
        other = await book.open("till1", actor=ANNA)
        assert [x.id for x in book.checks("till1")] == [c.id, other.id]
        assert book.active("till1") is other
        book.switch("till1", c.id)
        await book.defer(c, actor=ANNA)
        assert book.active("till1") is other
        assert [d.id for d in await book.deferred()] == [c.id]

    async with hub(tmp_path) as h:  # the store reopened: a new process, a new book
        book = await CheckBook.of(h)
        assert [x.id for x in book.checks("till1")] == [other.id]  # open ones came back
        listed = await book.deferred()
        assert [(d.id, d.number, d.till, d.total) for d in listed] == \
            [(c.id, number, "till1", total)]
        back = await book.resume(c.id, "till2", actor=ANNA)
        assert back.till == "till2" and back.state is CheckState.OPEN
        assert back.total == total and back.number == number
        assert [ln.quantity for ln in back.live] == [Decimal(2), Decimal("0.347")]
        assert book.active("till2") is back
        assert await book.deferred() == []
        with pytest.raises(UserError, match="уже не отложен"):
            await book.resume(c.id, "till1", actor=ANNA)
        draft = back.to_draft()
        assert draft.total == total and draft.till == "till2" and draft.number == number
        resumed = await h.events(kinds=[Kind.CHECK_RESUMED])
        assert [(e.station, e.data["deferred_on"]) for e in resumed] == [("till2", "till1")]


async def test_a_stale_copy_cannot_overwrite(tmp_path: Path) -> None:
    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        await book.add(c, MILK, actor=OLEG, price=8990)
        await book.defer(c, actor=ANNA)
        first = CheckBook(h)
        second = CheckBook(h)
        await first.resume(c.id, "till1", actor=ANNA)
        with pytest.raises(UserError):
            await second.resume(c.id, "till2", actor=ANNA)
        # a copy loaded before the resume saves nothing over it
        async with h.engine.connect() as conn:
            row = (await conn.execute(sa.select(check_tables.check)
                                      .where(check_tables.check.c.id == c.id))).one()
        assert row.till == "till1" and row.state == "open"


async def test_actions_are_audited_and_persisted(tmp_path: Path) -> None:
    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        ln = await book.add(c, Lookup(item=MILK, price=8990), actor=ANNA, quantity=3)
        await book.set_quantity(c, ln.no, 2, actor=ANNA, manager=OLEG)
        with pytest.raises(AccessDenied, match="Кассир не может сторнировать позиции"):
            await book.void_line(c, ln.no, reason="передумал", actor=ANNA)
        await book.void_line(c, ln.no, reason="передумал", actor=ANNA, manager=OLEG)
        ln2 = await book.add(c, Lookup(item=MILK, price=8990), actor=ANNA)
        await book.override_price(c, ln2.no, 5000, reason="уценка", actor=OLEG)
        await book.manual_discount(c, percent=5, actor=ANNA, manager=OLEG)
        await book.void_check(c, reason="покупатель ушёл", actor=OLEG)
        events = await h.events(site="s1")
        kinds = [e.kind for e in events if e.kind.startswith("pos_")]
        assert kinds == [Kind.CHECK_OPENED, Kind.LINE_ADDED, Kind.QUANTITY_CHANGED,
                         Kind.ACTION_DENIED, Kind.LINE_VOIDED, Kind.LINE_ADDED,
                         Kind.PRICE_OVERRIDDEN, Kind.MANUAL_DISCOUNT, Kind.CHECK_VOIDED]
        by = {e.kind: e for e in events}
        voided = by[Kind.LINE_VOIDED]
        assert (voided.employee, voided.manager, voided.reason, voided.amount) == \
            ("Анна", "Олег", "передумал", 17980)
        assert voided.severity.value == "warning" and voided.station == "till1"
        assert voided.order == str(c.number) and voided.data["check_id"] == c.id
        assert by[Kind.QUANTITY_CHANGED].severity.value == "warning"  # it went down
        assert by[Kind.ACTION_DENIED].data["right"] == "void_line"
        assert by[Kind.PRICE_OVERRIDDEN].data == {
            "line": 2, "catalog_price": 8990, "was": 8990, "price": 5000, "actor": "9",
            "role": "manager", "check_id": c.id}
        assert by[Kind.MANUAL_DISCOUNT].amount == 250  # 5 % of 50.00
        assert by[Kind.CHECK_VOIDED].severity.value == "danger"
        keys = [e.source_key for e in events if e.kind.startswith("pos_")]
        assert len(set(keys)) == len(keys)
        assert book.checks("till1") == []


async def test_the_same_action_emitted_twice_is_one_event(tmp_path: Path) -> None:
    from kassa_pos.engine import audit

    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        ev = audit.event(h, Kind.LINE_ADDED, c, actor=ANNA, amount=100)
        assert await h.emit(ev) is True
        assert await h.emit(ev) is False  # a re-delivery after a crash adds nothing
        assert len(await h.events(kinds=[Kind.LINE_ADDED])) == 1


async def test_a_guest_quote_and_its_staleness(tmp_path: Path) -> None:
    class Program:
        name = "fake"

        def __init__(self) -> None:
            self.orders: list[object] = []

        async def quote(self, order, guest):
            self.orders.append(order)
            return Quote(guest_id=guest.id, discount=500, bonus_earn=120,
                         bonus_spend_max=3000, lines=[QuoteLine("m1", discount=300)])

    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        program = Program()
        c = await book.open("till1", actor=ANNA)
        await book.add(c, Lookup(item=MILK, price=8990), actor=ANNA, quantity=2)
        await book.add(c, Lookup(item=CHEESE, price=100000, quantity=Decimal("0.5")),
                       actor=ANNA)
        await book.set_guest(c, Guest("g1", groups=("gold",)), actor=ANNA)
        q = await book.requote(c, program)
        assert q is not None and c.pricing.by_source("loyalty") == 500
        assert c.total == 17980 + 50000 - 500
        assert (c.pricing.bonus_earn, c.pricing.bonus_spend_max) == (120, 3000)
        assert program.orders[-1].total == 17980 + 50000  # type: ignore[attr-defined]
        await book.add(c, Lookup(item=MILK, price=8990), actor=ANNA)
        assert c.quote is None and c.pricing.by_source("loyalty") == 0  # ask again
        draft = c.to_draft()
        assert draft.guest == "g1" and draft.quote is None


async def test_unknown_till_and_marked_goods(tmp_path: Path) -> None:
    vodka = Item(code="v1", name="Водка", vat=VatRate.VAT20, flags=ItemFlag.MARKING)
    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        with pytest.raises(UserError, match="till9"):
            await book.open("till9", actor=ANNA)
        c = await book.open("till1", actor=ANNA)
        await book.add(c, Lookup(item=vodka, price=50000), actor=ANNA)
        with pytest.raises(UserError, match="код маркировки"):
            c.to_draft()
        c2 = await book.open("till2", actor=ANNA)
        await book.add(c2, Lookup(item=vodka, price=50000), actor=ANNA,
                       marking_code="0104600000000011215abc")
        with pytest.raises(UserError, match="по одной"):
            await book.set_quantity(c2, 1, 2, actor=ANNA)
        assert c2.to_draft().lines[0].marking_code == "0104600000000011215abc"


async def test_table_agrees_with_migration(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with hub(tmp_path) as h:
        async with h.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(
                MigrationContext.configure(c), check_tables.metadata))
    ours = [d for d in diff if "pos_check" in repr(d) and "pos_check" in repr(d)
            and not repr(d).startswith("('remove_table'")]
    assert ours == []


async def test_two_quick_actions_on_one_check_both_land(tmp_path: Path) -> None:
    import anyio

    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(lambda: book.add(c, Lookup(item=MILK, price=100), actor=ANNA))
        assert len(c.live) == 3
        fresh = CheckBook(h)
        await fresh.load()
        assert fresh.get(c.id).total == 300 and fresh.get(c.id).version == c.version


async def test_risky_actions_reach_the_owners_chat_and_routine_ones_do_not(tmp_path: Path
                                                                          ) -> None:
    from kassa.testing import CaptureChannel, ComponentsPlugin, eventually

    chat = CaptureChannel()
    cfg = {**CFG, "chats": [{"channel": "capture", "chat_id": "-100", "owners": True}]}
    async with make_hub(cfg, tmp_path, plugins=[kassa_pos, ComponentsPlugin(channels=[chat])]
                        ) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        ln = await book.add(c, Lookup(item=MILK, price=8990), actor=ANNA)
        await book.void_line(c, ln.no, reason="разбито", actor=ANNA, manager=OLEG)
        await eventually(lambda: chat.texts(), hub=h)
        await h.drain(timeout=0.5)
        texts = chat.texts()
        assert len(texts) == 1, texts  # the void; not the opening or the added line
        assert "Сторно позиции" in texts[0] and "разбито" in texts[0] and "Олег" in texts[0]


async def test_a_typed_price_is_an_override_and_keeps_a_scanned_weight(tmp_path: Path
                                                                       ) -> None:
    async with hub(tmp_path) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        weighed = Lookup(item=CHEESE, price=None, quantity=Decimal("0.250"))
        with pytest.raises(AccessDenied, match="менять цену"):
            await book.add(c, weighed, actor=ANNA, price=80000)
        ln = await book.add(c, weighed, actor=ANNA, price=80000, manager=OLEG)
        assert (ln.quantity, ln.price, ln.base) == (Decimal("0.250"), 80000, 20000)
        assert "price_overridden" in {f.value for f in ln.flags}
        same = await book.add(c, Lookup(item=MILK, price=8990), actor=ANNA, price=8990)
        assert not same.flags  # the catalog's own price typed again is no override
        overridden = await h.events(kinds=[Kind.PRICE_OVERRIDDEN])
        assert [(e.manager, e.data["price"]) for e in overridden] == [("Олег", 80000)]


async def test_tills_starting_at_once_share_one_book(tmp_path: Path) -> None:
    import anyio

    async with hub(tmp_path) as h:
        books: list[CheckBook] = []

        async def take() -> None:
            books.append(await CheckBook.of(h))

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(take)
        assert books[0] is books[1] is books[2]


async def test_rules_run_on_the_shops_clock_and_old_deferrals_drop_off(tmp_path: Path
                                                                      ) -> None:
    from datetime import UTC, datetime

    clock = FakeClock(datetime(2026, 12, 2, 18, 30, tzinfo=UTC))  # 21:30 in Moscow
    cfg = {**CFG, "pos": {**CFG["pos"], "discounts": [  # type: ignore[dict-item]
        {"name": "вечер", "kind": "group", "groups": ["dairy"], "percent": "10",
         "time_from": "21:00", "time_to": "23:00"}]}}
    async with make_hub(cfg, tmp_path, plugins=[kassa_pos], clock=clock) as h:
        book = await CheckBook.of(h)
        c = await book.open("till1", actor=ANNA)
        await book.add(c, Lookup(item=MILK, price=10000), actor=ANNA)
        assert c.discount == 1000
        clock.advance(2 * 3600)  # 23:30 local: the window closed
        assert c.reprice().discount == 0
        await book.defer(c, actor=ANNA)
        assert [d.id for d in await book.deferred()] == [c.id]
        clock.advance(4 * 86400)  # past deferred_days (3)
        assert await book.deferred() == []
