"""The till's return screen driven by keys (Textual's Pilot) against a real ``Till`` on a
running hub with the core's fake register and terminal (what they recorded is counted): a
partial return by the receipt's QR that a manager confirms (the card refunded on the
terminal that took it, one refund receipt), a second return of more than is left refused,
the check number typed instead of the QR, a register out of paper mid-return (F10 finishes
the same return: one refund, one receipt) and a return without a receipt in cash."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from kassa_pos.engine.returns import ReturnLine
from kassa_pos.engine.values import Tender
from kassa_pos.till.returns import ReturnScreen

from .test_till import ANNA, OLEG, Kit
from .test_till_screens import UNSET, Host, settle, text

pytestmark = pytest.mark.anyio


async def sold(hub: Any, kit: Kit) -> tuple[Any, Any, int | None]:
    """Two milks and 0,347 kg of cheese, paid 400 by card and the rest in cash."""
    till = await kit.till(hub)
    await till.open_shift(ANNA, float_=100000)
    check = await till.new_check(ANNA)
    await till.scan(check, "4600000000011", actor=ANNA, quantity=2)  # 2 x 89,90
    await till.add(check, actor=ANNA, plu=101, quantity="0.347")  # 416,40
    paid = await till.pay(check, [Tender(kind="card", amount=40000),
                                  Tender(kind="cash", amount=19620)], actor=ANNA)
    return till, paid, check.number


async def test_a_partial_return_by_qr_confirmed_by_a_manager(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, paid, _ = await sold(hub, kit)
        app = Host(ReturnScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            screen: Any = app.screen
            screen.on_scan(paid.document.qr)  # the receipt's QR through the scanner
            await settle(pilot, app)
            assert "Чек найден" in text(app, "#status")
            table = screen.query_one("#lines")
            assert table.row_count == 2
            await pilot.press("f10")  # nothing marked yet
            await settle(pilot, app)
            assert "Нечего возвращать" in text(app, "#status")
            await pilot.press("down", "f3")  # part of the cheese
            await pilot.pause()
            await pilot.press(*"0,5", "enter")  # more than was sold: asked again
            await pilot.pause()
            assert "не подходит" in text(app, "#error")
            await pilot.press(*["backspace"] * 3, *"0,1", "enter")
            await pilot.pause()
            await pilot.press("f10")
            await pilot.pause()  # AccessDenied: the manager's confirmation
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            status = text(app, "#status")
            assert "Возврат оформлен" in status and "Чек возврата" in status, status
            await pilot.press("enter")
            await pilot.pause()
        assert app.result is None
        assert kit.reg.effects("receipt") == 2  # the sale's and one refund
        left = await till.returns.returnable(await till.find_sale(qr=paid.document.qr))
        assert [q for _, _, q in left] == [2, Decimal("0.247")]


async def test_a_typed_number_finds_the_sale_and_too_much_is_refused(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, paid, number = await sold(hub, kit)
        sale = await till.find_sale(qr=paid.document.qr)
        # another till took one milk back meanwhile
        await till.return_by_receipt(sale, [ReturnLine(line_no=0, quantity=Decimal(1))],
                                     actor=OLEG)
        app = Host(ReturnScreen(till, OLEG))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"абв", "enter")
            await settle(pilot, app)
            assert "не QR-код и не номер чека" in text(app, "#status")
            await pilot.press(*str(number), "enter")
            await settle(pilot, app)
            screen: Any = app.screen
            assert screen.sale == sale and [r.left for r in screen.rows] == [1, Decimal("0.347")]
            await pilot.press("f2")  # everything that is left
            screen.rows[0].chosen = Decimal(2)  # as if the screen were stale: 2 milks
            await pilot.press("f10")
            await settle(pilot, app)
            assert "нельзя вернуть" in text(app, "#status")
            assert kit.reg.effects("receipt") == 2  # nothing printed for the refusal
            screen.rows[0].chosen = Decimal(1)
            await pilot.press("f10")
            await settle(pilot, app)
            assert "Возврат оформлен" in text(app, "#status")
        assert kit.reg.effects("receipt") == 3


async def test_paper_out_mid_return_then_f10_finishes_the_same_return(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, paid, _ = await sold(hub, kit)
        app = Host(ReturnScreen(till, OLEG))
        async with app.run_test(size=(80, 24)) as pilot:
            screen: Any = app.screen
            screen.on_scan(paid.document.qr)
            await settle(pilot, app)
            await pilot.press("f2")
            kit.reg.paper_out = True
            await pilot.press("f10")
            await settle(pilot, app)
            assert "не завершён" in text(app, "#status")
            refunded = kit.card.effects("refund")
            await pilot.press("escape")  # the first Esc only warns
            await pilot.pause()
            assert app.result is UNSET and "Esc ещё раз" in text(app, "#status")
            kit.reg.paper_out = False
            await pilot.press("f10")
            await settle(pilot, app)
            assert "Возврат оформлен" in text(app, "#status")
        # the card refunded once, before the paper ran out; the retry did not repeat it
        assert kit.card.effects("refund") == refunded == 1
        assert kit.reg.effects("receipt") == 2 and kit.card.charged() == 0


async def test_a_return_without_a_receipt_in_cash(tmp_path) -> None:
    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, _, _ = await sold(hub, kit)
        app = Host(ReturnScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f4")
            await pilot.pause()
            assert "без чека" in text(app, "#title")
            await pilot.press(*"2*4600000000011", "enter")
            await settle(pilot, app)
            assert "179,80" in text(app, "#status")
            await pilot.press(*"4600000000039", "enter")  # no such item
            await settle(pilot, app)
            assert "не найден" in text(app, "#status")
            await pilot.press("f10")
            await pilot.pause()
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            status = text(app, "#status")
            assert "Возврат оформлен: 179,80" in status and "Наличные" in status, status
        x = await till.x_report(ANNA)
        assert (x.refunds, x.refunds_cash) == (1, 17980)
        assert kit.reg.effects("receipt") == 2


async def test_a_return_of_points_only_says_no_receipt_is_needed(tmp_path) -> None:
    from kassa_pos.engine.return_types import Refund, Returned

    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till = await kit.till(hub)
        app = Host(ReturnScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            points = Tender(kind="bonus", amount=6381, account="g1")
            screen: Any = app.screen
            screen.show_done(Returned(key="k", document=None, total=0, refunds=(
                Refund(tender_no=0, tender=points, amount=6381, original=None),)))
            await pilot.pause()
            status = text(app, "#status")
            assert "63,81" in status and "чек возврата не нужен" in status, status


async def test_another_stores_check_with_the_centre_away_is_taken_by_policy(tmp_path) -> None:
    from kassa_pos.chain.xreturns import Link
    from kassa_pos.engine.returns import OfflinePolicy

    kit = Kit(tmp_path)
    async with kit.hub() as hub:
        till, _, _ = await sold(hub, kit)
        # a chain store whose leaf is down: nothing listens on the port
        till.returns.centre = Link("nats://127.0.0.1:9", store="s1", timeout=1.0)
        qr = "t=20261203T1000&s=500.00&fn=9999078900099999&i=77&fp=1234567890&n=1"
        app = Host(ReturnScreen(till, ANNA))
        async with app.run_test(size=(80, 24)) as pilot:
            screen: Any = app.screen
            screen.on_scan(qr)
            await settle(pilot, app)
            assert "связи с центром нет: возврат сейчас невозможен" in text(app, "#status")
            till.returns.offline = OfflinePolicy(accept=True, limit=50000)
            screen.on_scan(qr)
            await settle(pilot, app)
            assert "другого магазина" in text(app, "#title")
            assert "не больше 500,00" in text(app, "#status")
            await pilot.press(*"4600000000011", "enter")
            await settle(pilot, app)
            await pilot.press("f10")
            await pilot.pause()
            await pilot.press(*"4821", "enter")
            await settle(pilot, app)
            status = text(app, "#status")
            assert "Возврат оформлен: 89,90" in status and "Наличные" in status, status
        assert kit.reg.effects("receipt") == 2
        await till.aclose()


async def test_the_centres_url_never_shows_its_password() -> None:
    from kassa_pos.chain.xreturns import Link, Offline

    link = Link("nats://till:s3cret@127.0.0.1:9", store="s1", timeout=0.5)
    with pytest.raises(Offline) as err:
        await link.find(fn="9999078900099999", fd=77)
    assert "s3cret" not in str(err.value) and "till:***@127.0.0.1:9" in str(err.value)
    assert err.value.text() == ("Нет связи с центром: возврат чека другого магазина сейчас "
                                "невозможен.")
