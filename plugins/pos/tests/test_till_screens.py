"""The till's payment and confirmation screens driven by keys (Textual's Pilot) against a
real ``Till`` on a running hub with the core's fake register and terminal (what they
recorded is what is counted): a mixed card + cash payment with change, a declined card then
cash, a register out of paper (money held, Enter finishes the same attempt: one charge, one
receipt), Esc giving a held payment back, a bad amount, and a manager's PIN (wrong, own,
right)."""

from __future__ import annotations

from typing import Any

import pytest
from kassa_pos.till.confirm import ConfirmScreen
from kassa_pos.till.payment import PaymentScreen, parse_money
from textual.app import App

from .test_till import ANNA, OLEG, Kit

pytestmark = pytest.mark.anyio
UNSET = object()


class Host(App[None]):
    """A bare app that shows one screen and keeps what it dismissed with."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.first = screen
        self.result: Any = UNSET

    def on_mount(self) -> None:
        self.push_screen(self.first, callback=self.done)

    def done(self, result: Any) -> None:
        self.result = result


async def settle(pilot: Any, app: Host) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def text(app: Host, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def sale(hub: Any, kit: Kit) -> tuple[Any, Any]:
    till = await kit.till(hub)
    await till.open_shift(ANNA, float_=100000)
    check = await till.new_check(ANNA)
    await till.scan(check, "4600000000011", actor=ANNA, quantity=2)  # 2 x 89,90
    return till, check


def test_amounts_are_read_the_way_cashiers_type_them() -> None:
    assert parse_money("150") == 15000 and parse_money("150,5") == 15050
    assert parse_money("1 500.50") == 150050 and parse_money("") is None
    for bad in ("abc", "-5", "0", "1,234", "1e3x"):
        with pytest.raises(ValueError):
            parse_money(bad)


async def test_card_and_cash_with_change(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, check = await sale(hub, kit)
        app = Host(PaymentScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            assert "179,80" in text(app, "#due")
            await pilot.press(*"100", "f3")  # 100 roubles by card
            assert "79,80" in text(app, "#rest")
            await pilot.press(*"100", "f2")  # a 100-rouble note
            assert "Сдача: 20,20" in text(app, "#rest")
            await pilot.press("enter")
            await settle(pilot, app)
            assert "Сдача: 20,20" in text(app, "#status")
            await pilot.press("enter")
            await pilot.pause()
        assert app.result is not UNSET and app.result.change == 2020
        assert kit.card.charged() == 10000 and kit.reg.effects("receipt") == 1
        assert till.book.checks("till1") == []


async def test_a_declined_card_then_cash_and_a_bad_amount(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, check = await sale(hub, kit)
        kit.card.decline_next.append("Недостаточно средств")
        app = Host(PaymentScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"12x", "f2")
            assert "не похожа на деньги" in text(app, "#status")
            await pilot.press("backspace", "backspace", "backspace", "f3", "enter")
            await settle(pilot, app)
            assert "Недостаточно средств" in text(app, "#status")
            assert app.result is UNSET  # still on the screen, nothing charged
            await pilot.press("f8", "f2", "enter")  # the card taken back, cash instead
            await settle(pilot, app)
            await pilot.press("enter")
            await pilot.pause()
        paid: Any = app.result
        assert paid.change == 0 and kit.card.charged() == 0
        assert kit.reg.effects("receipt") == 1


async def test_paper_out_holds_the_money_and_enter_finishes_the_same_payment(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, check = await sale(hub, kit)
        kit.reg.paper_out = True
        app = Host(PaymentScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3", "enter")  # the whole check by card
            await settle(pilot, app)
            assert "Деньги удержаны" in text(app, "#status")
            await pilot.press(*"5", "f2")  # the tenders are locked now
            assert "Оплата уже начата" in text(app, "#status")
            kit.reg.paper_out = False
            await pilot.press("backspace", "enter")
            await settle(pilot, app)
            await pilot.press("enter")
            await pilot.pause()
        assert app.result is not UNSET and app.result is not None
        assert kit.card.effects("purchase") == 1 and kit.card.charged() == 17980
        assert kit.reg.effects("receipt") == 1


async def test_esc_gives_a_held_payment_back_and_the_check_stays_open(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, check = await sale(hub, kit)
        kit.reg.paper_out = True
        app = Host(PaymentScreen(till, check, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f3", "enter")
            await settle(pilot, app)
            await pilot.press("escape")
            await settle(pilot, app)
        assert app.result is None and kit.card.charged() == 0
        assert kit.reg.effects("receipt") == 0 and till.book.checks("till1") == [check]


async def test_a_manager_confirms_with_a_pin_never_shown(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        app = Host(ConfirmScreen(till, "Сторно позиции", actor=ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"1111", "enter")
            assert "не подходят" in text(app, "#status")
            await pilot.press(*"4821")
            assert "4821" not in str(app.screen.query_one("#pin").render())
            await pilot.press("enter")
            await pilot.pause()
        assert app.result == OLEG


async def test_a_card_swipe_confirms_and_esc_cancels(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        app = Host(ConfirmScreen(till, "Возврат без чека"))
        async with app.run_test(size=(80, 24)) as pilot:
            screen: Any = app.screen
            screen.on_scan("2000000000099")
            await pilot.pause()
        assert app.result == OLEG
        app = Host(ConfirmScreen(till, "Возврат без чека"))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("escape")
            await pilot.pause()
        assert app.result is None
