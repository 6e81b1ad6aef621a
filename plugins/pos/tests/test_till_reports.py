"""The till's X report, cash report and shift screens driven by keys (Textual's Pilot)
against a real ``Till`` on a running hub with the core's fake register and terminal (what
the register did is counted): the X figures after card + cash sales and a refund, with
money and plurals; cash in and out changing the drawer, a bad amount refused, a cash-out
that takes the manager's PIN, a register out of paper or a lost answer retried without
doing it twice; the Z refused while a check is open and made once it is paid; a shift
opened with a float; the sale screen's shift key."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from kassa.i18n import t
from kassa.model.money import format_money
from kassa_pos.engine.returns import ReturnLine
from kassa_pos.engine.values import Tender
from kassa_pos.till.app import TillApp
from kassa_pos.till.ask import AskScreen
from kassa_pos.till.confirm import ConfirmScreen
from kassa_pos.till.reports import CashReportScreen, ShiftScreen, XReportScreen
from kassa_pos.till.sale import SaleScreen
from kassa_pos.till.texts_reports import TEXTS

from .test_till import ANNA, OLEG, Kit
from .test_till_app import frozen, idle, shown
from .test_till_screens import Host, settle, text

pytestmark = pytest.mark.anyio


def rub(kopecks: int) -> str:
    return format_money(kopecks, "ru")


def fits(app: Host) -> None:
    """The screen's last line (its keys) is inside the 80x24 terminal."""
    keys = app.screen.query_one("#keys").region
    assert keys.height >= 1 and keys.bottom <= 23 and keys.right <= 80


async def two_sales_and_a_refund(hub: Any, kit: Kit) -> Any:
    till = await kit.till(hub)
    await till.open_shift(ANNA, float_=200000)
    check = await till.new_check(ANNA)
    await till.scan(check, "4600000000011", actor=ANNA, quantity=2)  # 179,80
    await till.pay(check, [Tender(kind="card", amount=10000),
                           Tender(kind="cash", amount=10000)], actor=ANNA)  # 20,20 change
    check = await till.new_check(ANNA)
    await till.scan(check, "4600000000011", actor=ANNA)  # 89,90
    paid = await till.pay(check, [Tender(kind="cash", amount=8990)], actor=ANNA)
    sale = await till.find_sale(qr=paid.document.qr)
    await till.return_by_receipt(sale, [ReturnLine(line_no=0, quantity=Decimal(1))],
                                 actor=ANNA, manager=OLEG, return_id="r1")
    return till


def test_the_texts_have_both_languages_and_russian_plurals() -> None:
    assert set(TEXTS["ru"]) == set(TEXTS["en"])
    assert all(k.startswith("pos.till.rep.") for k in TEXTS["ru"])
    said = [t("pos.till.rep.checks", "ru", count=n) for n in (1, 3, 5, 21, 12)]
    assert said == ["1 чек", "3 чека", "5 чеков", "21 чек", "12 чеков"]
    assert t("pos.till.rep.checks", "en", count=1) == "1 check"


async def test_the_x_report_shows_the_shift_with_money_and_plurals(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await two_sales_and_a_refund(hub, kit)
        printed = kit.reg.effects()
        app = Host(XReportScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "X-отчёт · смена № 1" in text(app, "#title")
            shown = text(app, "#figures").splitlines()
            row = {re.split(r"\s{2,}", line.strip())[0]: line for line in shown}
            assert f"2 чека · {rub(26970)}" in row["Продажи"]
            assert rub(26970 - 10000) in row["наличными"]  # net of the change
            assert rub(10000) in row["безналично"]
            assert f"1 чек · {rub(8990)}" in row["Возвраты"]
            assert rub(8990) in row["из них наличными"]
            assert rub(200000) in row["Размен при открытии"]
            assert rub(200000 + 16970 - 8990) in row["В ящике должно быть"]
            assert rub(26970 - 8990) in row["Выручка"] and "Анна" in row["Кассир"]
            opened = till.book.local_now().strftime("%d.%m.%Y")
            assert opened in row["Открыта"]
            fits(app)
            await pilot.press("escape")
            await pilot.pause()
        assert app.result is None and kit.reg.effects() == printed  # nothing printed


async def test_no_shift_is_said_on_the_x_report(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        app = Host(XReportScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "Смена не открыта" in text(app, "#status")


async def test_cash_in_and_out_change_the_drawer_and_a_bad_amount_is_refused(
        tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA, float_=100000)
        app = Host(CashReportScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert f"= должно быть в ящике  {rub(100000)}" in text(app, "#figures")
            fits(app)
            await pilot.press("f2")
            await pilot.pause()
            assert isinstance(app.screen, AskScreen)
            await pilot.press(*"12х", "enter")  # a Cyrillic letter slipped in
            await pilot.pause()
            assert "не похожа на деньги" in text(app, "#error")
            await pilot.press("enter")  # still refused: nothing was lost or done
            assert isinstance(app.screen, AskScreen) and kit.reg.effects("cash_in") == 1
            await pilot.press("backspace", "backspace", "backspace", "enter")
            await pilot.pause()
            assert "Введите сумму" in text(app, "#error")
            await pilot.press(*"500", "enter")
            await settle(pilot, app)
            assert isinstance(app.screen, CashReportScreen)
            assert f"Внесено {rub(50000)}." in text(app, "#status")
            assert f"= должно быть в ящике  {rub(150000)}" in text(app, "#figures")

            await pilot.press("f3")  # Anna is a cashier: a manager confirms
            await pilot.pause()
            assert rub(150000) in text(app, "#question")
            await pilot.press(*"200", "enter")
            await settle(pilot, app)
            assert isinstance(app.screen, ConfirmScreen)
            assert "не может изымать наличные" in text(app, "#why")
            await pilot.press(*"1111", "enter")
            assert "не подходят" in text(app, "#status")
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            assert isinstance(app.screen, CashReportScreen)
            assert f"Изъято {rub(20000)}." in text(app, "#status")
            shown = text(app, "#figures")
            assert "− изъятия" in shown and rub(20000) in shown
            assert f"= должно быть в ящике  {rub(130000)}" in shown
        assert kit.reg.effects("cash_in") == 2 and kit.reg.effects("cash_out") == 1
        x = await till.x_report(ANNA)
        assert (x.cash_in, x.cash_out, x.drawer) == (50000, 20000, 130000)
        out = [e for e in await hub.events(site="s1") if e.kind == "pos_action_denied"]
        assert len(out) == 1  # the cashier's own try, audited


async def test_a_refused_confirmation_and_more_than_the_drawer_holds(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA, float_=10000)
        app = Host(CashReportScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            await pilot.press("f3", *"50", "enter")
            await settle(pilot, app)
            await pilot.press("escape")  # no manager came
            await settle(pilot, app)
            assert "не может изымать наличные" in text(app, "#status")
            await pilot.press("f3", *"500", "enter")
            await settle(pilot, app)
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            assert f"В ящике {rub(10000)}, изъять {rub(50000)} нельзя." in text(app,
                                                                               "#status")
        assert kit.reg.effects("cash_out") == 0


async def test_paper_out_keeps_the_cash_in_and_enter_does_it_once(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA)
        app = Host(CashReportScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            kit.reg.paper_out = True
            await pilot.press("f2", *"300", "enter")
            await settle(pilot, app)
            assert "Не выполнено" in text(app, "#status")
            await pilot.press("f2")  # a new one waits until this one is done
            assert "Прошлая операция не выполнена" in text(app, "#status")
            assert isinstance(app.screen, CashReportScreen)
            kit.reg.paper_out = False
            await pilot.press("enter")
            await settle(pilot, app)
            assert f"Внесено {rub(30000)}." in text(app, "#status")
            await pilot.press("enter")  # nothing pending: nothing happens
            await settle(pilot, app)
        assert kit.reg.effects("cash_in") == 1
        assert (await till.x_report(ANNA)).cash_in == 30000


async def test_a_lost_answer_is_retried_under_the_same_key(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA)
        app = Host(CashReportScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            kit.reg.drop_answers = 1  # the register puts the cash in, the answer is lost
            await pilot.press("f2", *"300", "enter")
            await settle(pilot, app)
            assert "Не выполнено" in text(app, "#status") and kit.reg.effects("cash_in") == 1
            await pilot.press("enter")  # the journal finds the document: not done twice
            await settle(pilot, app)
            assert f"Внесено {rub(30000)}." in text(app, "#status")
        assert kit.reg.effects("cash_in") == 1
        assert (await till.x_report(ANNA)).cash_in == 30000


async def test_the_z_is_refused_with_an_open_check_and_made_once_it_is_paid(
        tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA, float_=50000)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        app = Host(ShiftScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "Смена № 1 открыта" in text(app, "#title")
            assert "F10" in text(app, "#keys")
            fits(app)
            await pilot.press("f10")
            await pilot.pause()
            assert "Закрыть смену?" in text(app, "#question")
            await pilot.press("enter")
            await settle(pilot, app)
            assert "открытые чеки" in text(app, "#status")
            fits(app)  # the two-line sentence still leaves the keys on screen
            await pilot.press("enter", *"нет", "enter")  # asked again, and answered no
            await settle(pilot, app)
            assert isinstance(app.screen, ShiftScreen) and kit.reg.effects("shift_close") == 0
            await pilot.press("f10", *"может", "enter")
            await pilot.pause()
            assert "«да» или «нет»" in text(app, "#error")
            await pilot.press("escape")
            await pilot.pause()

            await till.pay(check, [Tender(kind="cash", amount=10000)], actor=ANNA)
            await pilot.press("enter", "enter")
            await settle(pilot, app)
            assert "Z-отчёт · смена № 1" in text(app, "#title")
            z = [d for d in kit.reg.documents() if d.kind == "shift_close"]
            assert len(z) == 1
            assert f"закрыта. Z-отчёт: документ № {z[0].number}." in text(app, "#status")
            assert "1 чек" in text(app, "#figures") and rub(8990) in text(app, "#figures")
            fits(app)
            await pilot.press("enter")
            await pilot.pause()
        assert app.result is None and kit.reg.effects("shift_close") == 1
        assert await till.shifts.current(till.site, till.name) is None


async def test_a_closed_shift_is_opened_with_a_float(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        app = Host(ShiftScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "Смена закрыта" in text(app, "#title")
            assert "открыть смену" in text(app, "#keys")
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("backspace", *"1,5,0", "enter")
            await pilot.pause()
            assert "не похожа на деньги" in text(app, "#error")
            await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace",
                              *"1500", "enter")
            await settle(pilot, app)
            assert "Смена № 1 открыта" in text(app, "#title")
            assert f"Смена открыта, размен {rub(150000)}." in text(app, "#status")
            assert rub(150000) in text(app, "#figures")
            await pilot.press("escape")
            await pilot.pause()
        assert app.result is None
        assert kit.reg.effects("shift_open") == 1 and kit.reg.effects("cash_in") == 1


async def test_the_sale_screen_opens_the_shift_screen_and_comes_back(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        await till.open_shift(ANNA)
        app = TillApp(till, actor=ANNA, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            await pilot.press("ctrl+t")  # the default layout's shift key
            await idle(pilot, app)
            assert isinstance(app.screen, ShiftScreen)
            await pilot.press("f10", "enter")
            await idle(pilot, app)
            assert "закрыта" in shown(app, "#status")
            await pilot.press("enter")
            await idle(pilot, app)
            assert isinstance(app.screen, SaleScreen)
        assert kit.reg.effects("shift_close") == 1
