"""How the till's screens look at 80x24, the smallest terminal it supports: the sale
screen with a check, the payment with a mixed tender, the return of a found receipt and
the cash report, each against a real Till on a running hub with fixed data.

``snap_compare`` runs an app in its own event loop, and the hub runs in the test's, so the
screens are exported here (``App.export_screenshot``) and compared with the stored SVG by
the same syrupy extension. Update after an intended change:
``uv run pytest plugins/pos/tests/test_till_snapshots.py --snapshot-update``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kassa_pos.till.app import TillApp
from kassa_pos.till.reports import CashReportScreen
from kassa_pos.till.returns import ReturnScreen
from pytest_textual_snapshot import SVGImageExtension
from textual.widgets import Input

from .test_till_app import Shop, frozen, idle
from .test_till_screens import Host

pytestmark = pytest.mark.anyio


@pytest.fixture
def svg(snapshot: Any) -> Any:
    return snapshot.use_extension(SVGImageExtension)


async def picture(pilot: Any, app: Any) -> str:
    await idle(pilot, app)
    for box in app.screen.query(Input):
        box.cursor_blink = False  # a blinking cursor is on or off by the clock: shown steady
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    return str(app.export_screenshot(title="Kassa"))


async def sold(shop: Shop, hub: Any) -> tuple[Any, Any]:
    till = await shop.till(hub)
    anna = till.book.rights.identify("1357")
    assert anna is not None
    await till.open_shift(anna, float_=500000)
    check = await till.new_check(anna)
    await till.scan(check, "4600000000011", actor=anna, quantity=2)
    await till.add(check, actor=anna, plu=101, quantity="0.347")
    return till, anna


async def test_the_sale_screen(tmp_path: Path, svg: Any) -> None:
    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till, anna = await sold(shop, hub)
        app = TillApp(till, actor=anna, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            assert await picture(pilot, app) == svg


async def test_the_payment_screen_with_card_and_cash(tmp_path: Path, svg: Any) -> None:
    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till, anna = await sold(shop, hub)
        app = TillApp(till, actor=anna, clock=frozen)
        async with app.run_test(size=(80, 24)) as pilot:
            await idle(pilot, app)
            await pilot.press("f2")
            await idle(pilot, app)
            await pilot.press(*"300", "f3", *"500", "f2")
            assert await picture(pilot, app) == svg


async def test_the_return_screen_with_a_found_receipt(tmp_path: Path, svg: Any) -> None:
    from kassa_pos.engine.values import Tender

    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till, anna = await sold(shop, hub)
        check = till.book.active("till1")
        paid = await till.pay(check, [Tender(kind="cash", amount=60000)], actor=anna)
        app = Host(ReturnScreen(till, anna))
        async with app.run_test(size=(80, 24)) as pilot:
            screen: Any = app.screen
            screen.on_scan(paid.document.qr)
            await idle(pilot, app)
            await pilot.press("space")
            assert await picture(pilot, app) == svg


async def test_the_cash_report(tmp_path: Path, svg: Any) -> None:
    from kassa_pos.engine.values import Tender

    shop = Shop(tmp_path)
    async with shop.hub() as hub:
        till, anna = await sold(shop, hub)
        check = till.book.active("till1")
        await till.pay(check, [Tender(kind="card", amount=20000),
                               Tender(kind="cash", amount=50000)], actor=anna)
        await till.cash_in(anna, 100000, op_id="in-1")
        app = Host(CashReportScreen(till, anna))
        async with app.run_test(size=(80, 24)) as pilot:
            assert await picture(pilot, app) == svg
