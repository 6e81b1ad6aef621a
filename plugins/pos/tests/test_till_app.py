"""The cashier's till (``TillApp``) driven by keys with Textual's Pilot against a real Till
on a running hub (the core's fake register and terminal): sign-in (a wrong PIN, then the
right one), the shift opened with a float, a scanner burst sold whatever has focus, a
quantity, an unknown barcode's sentence, a void that takes a manager's PIN, a deferred check
resumed, a cash payment, the offline banner; the layout file's rules; the burst rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kassa_pos
import pytest
from kassa.testing import make_hub
from kassa.testing.fakes import FakeRegister, FakeTerminal
from kassa_pos.chain.link import LinkState, record
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.pay import PayConfig
from kassa_pos.engine.till import Till
from kassa_pos.till.app import TillApp
from kassa_pos.till.layout import LayoutError, default, load, parse
from kassa_pos.till.sale import SaleScreen
from kassa_pos.till.scanner import Burst, BurstConfig

from .test_pay import Components
from .test_till import CHEESE, MILK, PRICES, WATER

pytestmark = pytest.mark.anyio
CFG = {"sites": [{"code": "s1", "name": "Магазин", "fiscal": "fr1", "terminals": ["card1"]}],
       "stations": [{"code": "till1", "site": "s1"}],
       "pos": {"store": "s1", "tills": [{"name": "till1", "title": "Касса 1"}],
               "staff": [{"code": "1", "name": "Анна", "role": "cashier", "pin": "1357"},
                         {"code": "9", "name": "Олег", "role": "manager",
                          "card": "2000000000099", "pin": "4821"}]}}


class Shop:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.reg = FakeRegister("fr1", path=tmp / "fr.db")
        self.card = FakeTerminal("card1", path=tmp / "c1.db", suspend=True)

    def hub(self) -> Any:
        return make_hub(CFG, self.tmp, plugins=[kassa_pos, Components([self.reg],
                                                                      [self.card])])

    async def till(self, hub: Any) -> Till:
        catalog = Catalog.of([MILK, CHEESE, WATER], [PRICES], site="s1", clock=hub.clock)
        return await Till.open(hub, "till1", catalog=catalog,
                               config=PayConfig(terminals=("card1",)))


async def idle(pilot: Any, app: Any) -> None:
    """Past the burst's gap (typing reaches its widget) and the engine call it started.
    Not ``workers.wait_for_complete``: a worker waiting on a dialog never completes."""
    for _ in range(4):
        await pilot.pause(0.08)


def frozen() -> float:
    """The burst's clock in these tests: no time passes between Pilot's keys, so printable
    keys are held until the next other key; an Enter after six or more is a scan (and is
    typing after all on a screen without a scanner). The timing rule has its own test."""
    return 0.0


def shown(app: Any, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def sign_in(pilot: Any, app: Any, pin: str = "1357") -> None:
    await pilot.press(*pin, "enter")
    await idle(pilot, app)


async def test_a_check_from_sign_in_to_cash(tmp_path: Path) -> None:
    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till = await shop.till(hub)
        app = TillApp(till, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, app, "9999")
            assert "не подходят" in shown(app, "#status")
            await sign_in(pilot, app)
            assert "Размен" in shown(app, "#question")  # no shift yet: the float
            await pilot.press("backspace", *"500", "enter")
            await idle(pilot, app)
            assert isinstance(app.screen, SaleScreen)
            assert await till.shifts.current("s1", "till1") is not None
            await pilot.press(*"4600000000011", "enter")  # a scanner's burst
            await idle(pilot, app)
            assert app.scans == 1 and "Молоко" in shown(app, "#status")
            await pilot.press("2", "*")  # a quantity typed, then the scan
            await idle(pilot, app)
            await pilot.press(*"4600000000011", "enter")
            await idle(pilot, app)
            check = till.book.active("till1")
            assert check is not None and [ln.quantity for ln in check.live] == [1, 2]
            await pilot.press(*"4609999999997", "enter")
            await idle(pilot, app)
            assert "не найден" in shown(app, "#status").lower()
            assert len(check.live) == 2
            # a void: the cashier has no right, the manager's PIN confirms
            await pilot.press("f4")
            await idle(pilot, app)
            await pilot.press(*"ошибка", "enter")
            await idle(pilot, app)
            assert "Подтверждение" in shown(app, "#title")
            await pilot.press(*"4821", "enter")
            await idle(pilot, app)
            assert [ln.no for ln in check.live] == [1]
            assert "3 x" not in shown(app, "#totals")
            await pilot.press("f2")
            await idle(pilot, app)
            await pilot.press("f2", "enter")  # the rest in cash
            await idle(pilot, app)
            await pilot.press("enter")
            await idle(pilot, app)
            assert "оплачен" in shown(app, "#status")
        assert shop.reg.effects("receipt") == 1 and till.book.checks("till1") == []
        voided = [e for e in await hub.events(site="s1") if e.kind == "pos_line_voided"]
        assert len(voided) == 1 and voided[0].manager == "Олег"


async def test_an_amount_typed_and_an_f_key_at_once_pays_that_amount(tmp_path: Path) -> None:
    """The digits are held by the burst rule until the F key; they reach the amount field
    before the F key's binding reads it (dispatched as events they arrived after it)."""
    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till = await shop.till(hub)
        anna = till.book.rights.identify("1357")
        await till.open_shift(anna)  # type: ignore[arg-type]
        app = TillApp(till, actor=anna, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            await pilot.press(*"4600000000011", "enter")
            await idle(pilot, app)
            await pilot.press("f2")
            await idle(pilot, app)
            await pilot.press("5", "0", "f2")  # no pause: a quick cashier
            await idle(pilot, app)
            assert "Осталось внести: 39,90" in shown(app, "#rest"), shown(app, "#rest")
            await pilot.press("f2", "enter")
            await idle(pilot, app)
        assert shop.reg.effects("receipt") == 1


async def test_defer_resume_and_the_offline_banner(tmp_path: Path) -> None:
    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till = await shop.till(hub)
        await till.open_shift(till.book.rights.identify("1357"))  # type: ignore[arg-type]
        app = TillApp(till, link_every=0.05, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            await sign_in(pilot, app)
            await pilot.press(*"4600000000011", "enter")
            await idle(pilot, app)
            first = till.book.active("till1")
            await pilot.press("f7")  # defer
            await idle(pilot, app)
            assert till.book.active("till1") is None and "отложен" in shown(app, "#status")
            await pilot.press("f8")  # the store's deferred checks
            await idle(pilot, app)
            await pilot.press("enter")
            await idle(pilot, app)
            assert first is not None and till.book.active("till1").id == first.id  # type: ignore[union-attr]
            record(hub, LinkState(online=False, pending=3))
            await idle(pilot, app)
            assert "3 документа ждут" in shown(app, "#banner")
            record(hub, LinkState(online=True))
            await idle(pilot, app)
            assert shown(app, "#banner").strip() == ""


async def test_the_sale_screen_fits_80x24(tmp_path: Path) -> None:
    """Everything the cashier needs is on an 80x24 screen: the head, the lines, the totals,
    the item field and the key bar (a snapshot needs its own event loop; the hub runs in
    this one, so the layout is checked by the widgets' regions)."""
    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till = await shop.till(hub)
        anna = till.book.rights.identify("1357")
        assert anna is not None
        await till.open_shift(anna)
        check = await till.new_check(anna)
        await till.scan(check, "4600000000011", actor=anna, quantity=3)
        await till.add(check, actor=anna, plu=101, quantity="0.347")
        app = TillApp(till, actor=anna, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            screen = app.screen
            for selector in ("#head", "#lines", "#totals", "#item", "#bar"):
                region = screen.query_one(selector).region
                assert region.height >= 1 and region.bottom <= 24 and region.right <= 80, \
                    selector
            assert "Касса 1 · Анна (кассир)" in shown(app, "#head")
            assert "Итого: 68\u00a0613,00" not in shown(app, "#totals")
            assert "(2 позиции)" in shown(app, "#totals")
            assert "F2 Оплата" in shown(app, "#bar")
            table = screen.query_one("#lines")
            assert table.row_count == 2  # type: ignore[attr-defined]


def test_a_burst_is_a_scan_and_typing_is_typing() -> None:
    burst: Burst[str] = Burst(BurstConfig(min_length=6, max_gap=0.03))
    now, out = 0.0, []
    for ch in "4600000000011":
        now += 0.004
        through, code = burst.key(ch, ch, enter=False, now=now)
        out += through
    through, code = burst.key("enter", None, enter=True, now=now + 0.004)
    assert code == "4600000000011" and out == [] and through == []
    for ch in "1357":  # a person: 150 ms between keys
        now += 0.15
        through, code = burst.key(ch, ch, enter=False, now=now)
        out += through
    through, code = burst.key("enter", None, enter=True, now=now + 0.15)
    assert code is None and [*out, *through] == ["1", "3", "5", "7", "enter"]
    # a fast but short burst (a PIN pad) is typing, and so is a fast run without Enter
    for ch in "135":
        now += 0.004
        burst.key(ch, ch, enter=False, now=now)
    through, code = burst.key("enter", None, enter=True, now=now + 0.004)
    assert code is None and through == ["1", "3", "5", "enter"]
    burst.key("a", "a", enter=False, now=now + 1)
    assert burst.due(now + 1.1) and burst.flush() == ["a"]


def test_the_layout_file(tmp_path: Path) -> None:
    lay = default()
    assert lay.action("f2") == "pay" and lay.scanner.min_length == 6
    good = tmp_path / "layout.toml"
    good.write_text('[[keys]]\nkey = "F2"\naction = "pay"\nlabel = "Оплатить"\n'
                    '[[quick]]\nkey = "ctrl+b"\nitem = "m1"\nlabel = "Молоко"\n'
                    '[scanner]\nmax_gap_ms = 50\n', "utf-8")
    lay = load(good)
    assert lay.action("f2") == "pay" and lay.quick_item("ctrl+b").item == "m1"  # type: ignore[union-attr]
    assert lay.scanner.max_gap == 0.05
    for text, says in [
        ('[[keys]]\nkey = "f2"\naction = "fly"\n', "keys[0].action = 'fly' is not one of"),
        ('[[keys]]\nkey = "f2"\naction = "pay"\n[[keys]]\nkey = "f2"\naction = "defer"\n',
         "keys[1].key = 'f2' is already keys[0]"),
        ('[[keys]]\nkey = "x"\naction = "pay"\n', "is taken by the item field"),
        ('[[keys]]\nkey = "f3"\naction = "defer"\n', "no key has the action 'pay'"),
        ('colour = 1\n', "unknown key 'colour'"),
        ('[[keys]\n', "not TOML"),
    ]:
        with pytest.raises(LayoutError) as err:
            parse(text, source="shop.toml")
        assert says in err.value.text("en")
        assert str(err.value).startswith("раскладка кассы shop.toml: ")  # Russian first
    with pytest.raises(LayoutError) as err:
        load(tmp_path / "missing.toml")
    assert "не читается" in str(err.value) and "cannot be read" in err.value.text("en")
    with pytest.raises(LayoutError) as err:
        parse('[[keys]]\nkey = "f3"\naction = "defer"\n', source="shop.toml")
    assert str(err.value) == ("раскладка кассы shop.toml: ни одна клавиша не делает 'pay' "
                              "(оплата).")
