"""The Till wired to the message rules, ``[pos.payments]`` and its devices on a running hub:
prompts for the UI, receipt texts on the slip printer (journaled), a weighed item from the
till's scale (a bad reading adds nothing), a scanner's reads on the active check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import kassa_pos
import pytest
from kassa import hookimpl
from kassa.errors import ConfigError, RetryLater, UserError
from kassa.model import DeviceStatus, Health, PaymentKind, Scan, TaxSystem
from kassa.testing import make_hub
from kassa.testing.fakes import FakeRegister, FakeTerminal
from kassa.testing.fakes.devices import FakePrinter, FakeScale
from kassa_pos.engine.catalog import Catalog
from kassa_pos.engine.devices import TillDevices
from kassa_pos.engine.rights import AccessDenied, Person, Role
from kassa_pos.engine.till import Till
from kassa_pos.engine.values import Tender
from kassa_pos.settings import PaymentsSettings, PosSettings

from .test_till import ANNA, CHEESE, MILK, PRICES, WATER

pytestmark = pytest.mark.anyio
VERA = Person("2", "Вера", Role.SENIOR_CASHIER)

RULES = [{"name": "bag", "on": ["line_added"], "once": True, "when": {"lines_over": 0},
          "prompt": "Предложите пакет"},
         {"name": "thanks", "on": ["receipt"], "receipt": "Спасибо за покупку на {total}!"}]


def cfg(**till: Any) -> dict[str, Any]:
    return {"sites": [{"code": "s1", "name": "Магазин", "fiscal": "fr1",
                       "terminals": ["card1"]}],
            "stations": [{"code": "till1", "site": "s1"}],
            "pos": {"store": "s1", "tills": [{"name": "till1", **till}],
                    "staff": [{"code": "1", "name": "Анна", "role": "cashier"},
                              {"code": "2", "name": "Вера", "role": "senior_cashier"}],
                    "messages": RULES,
                    "payments": {"taxation": "usn_income", "terminals": ["card1"],
                                 "internal": {"gift": "prepaid"}, "place": "Касса 1"}}}


class Scanner:
    """A scanner device whose reads the test pushes."""

    kind = "scanner"

    def __init__(self, name: str) -> None:
        self.name = name
        self.send, self.recv = anyio.create_memory_object_stream[Scan](10)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def status(self) -> DeviceStatus:
        return DeviceStatus(health=Health.OK)

    async def scans(self) -> AsyncIterator[Scan]:
        async for scan in self.recv:
            yield scan


class Parts:
    def __init__(self, tmp: Path, devices: list[Any]) -> None:
        self.reg = FakeRegister("fr1", path=tmp / "fr.db")
        self.card = FakeTerminal("card1", path=tmp / "c1.db")
        self.devices = devices

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return [self.reg]

    @hookimpl
    def register_payment_methods(self, hub: Any) -> list[Any]:
        return [self.card]

    @hookimpl
    def register_devices(self, hub: Any) -> list[Any]:
        return self.devices


def hub(tmp: Path, parts: Parts, **till: Any) -> Any:
    return make_hub(cfg(**till), tmp, plugins=[kassa_pos, parts])


async def till_of(h: Any) -> Till:
    catalog = Catalog.of([MILK, CHEESE, WATER], [PRICES], site="s1", clock=h.clock)
    return await Till.open(h, "till1", catalog=catalog)


async def test_prompts_for_the_ui_and_receipt_texts_on_the_slip(tmp_path: Path) -> None:
    printer = FakePrinter("slip1", path=tmp_path / "p.db")
    parts = Parts(tmp_path, [printer])
    async with hub(tmp_path, parts, printer="slip1") as h:
        till = await till_of(h)
        assert till.payments.config.taxation is TaxSystem.USN_INCOME  # [pos.payments]
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        assert till.prompts(check) == ["Предложите пакет"]
        assert till.prompts(check) == []  # taken once
        await till.scan(check, "4600000000011", actor=ANNA)
        assert till.prompts(check) == []  # a "once" rule
        await till.pay(check, [Tender(kind="cash", amount=20000)], actor=ANNA)
        # the receipt's free text is not fiscal: it is on the slip, once
        assert printer.paper() == ["Спасибо за покупку на 179,80\u00a0₽!"]
        assert till.slip_texts(check.id) == []


async def test_receipt_texts_wait_when_the_printer_is_out_of_paper(tmp_path: Path) -> None:
    printer = FakePrinter("slip1", path=tmp_path / "p.db")
    printer.paper_out = True
    async with hub(tmp_path, Parts(tmp_path, [printer]), printer="slip1") as h:
        till = await till_of(h)
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        paid = await till.pay(check, [Tender(kind="cash", amount=10000)], actor=ANNA)
        assert paid.document.qr  # the sale is done regardless of the slip
        assert till.slip_texts(check.id) == ["Спасибо за покупку на 89,90\u00a0₽!"]
        assert printer.paper() == []


async def test_a_weighed_item_waits_for_a_stable_reading(tmp_path: Path) -> None:
    scale = FakeScale("scale1", curve=["0.2", "0.512", "0.512"])
    async with hub(tmp_path, Parts(tmp_path, [scale]), scale="scale1") as h:
        till = await till_of(h)
        till.devices.settings.weigh_timeout = 5
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        line = await till.add(check, plu=101, actor=ANNA)
        assert line.quantity == Decimal("0.512")
        assert check.total == 61440


@pytest.mark.parametrize(("curve", "says"), [(["20", "20"], "перегружены"),
                                             (["0.1", "0.2", "0.3", "0.4"], "не успокоился")])
async def test_a_bad_reading_adds_nothing(tmp_path: Path, curve: list[str], says: str) -> None:
    scale = FakeScale("scale1", curve=curve)
    async with hub(tmp_path, Parts(tmp_path, [scale]), scale="scale1",
                   weigh_timeout=0.5) as h:
        till = await till_of(h)
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        with pytest.raises(UserError, match=says):
            await till.add(check, plu=101, actor=ANNA)
        assert check.live == []


async def test_a_scanner_feeds_the_active_check(tmp_path: Path) -> None:
    scanner = Scanner("scan1")
    async with hub(tmp_path, Parts(tmp_path, [scanner]), scanners=["scan1"]) as h:
        till = await till_of(h)
        await till.open_shift(ANNA)
        errors: list[str] = []
        done = anyio.Event()

        async def on_scan(scan: Scan) -> None:
            await till.scan_active(scan.code, actor=ANNA)
            done.set()

        async def on_error(scan: Scan, exc: Exception) -> None:
            errors.append(str(exc))

        async with anyio.create_task_group() as tg:
            tg.start_soon(till.devices.feed, on_scan, on_error)
            now = datetime.now(UTC)
            await scanner.send.send(Scan(code="0000000000000", at=now))
            await scanner.send.send(Scan(code="4600000000011", at=now))
            with anyio.fail_after(5):
                await done.wait()
            tg.cancel_scope.cancel()
        check = till.book.active("till1")
        assert check is not None and [ln.item_code for ln in check.live] == ["m1"]
        assert len(errors) == 1


def test_payments_settings_build_the_pay_config() -> None:
    from kassa_pos.engine.till import pay_config

    pc = pay_config(PosSettings(payments=PaymentsSettings(**cfg()["pos"]["payments"])).payments)
    assert pc.taxation is TaxSystem.USN_INCOME and pc.terminals == ("card1",)
    assert pc.internal == {"gift": PaymentKind.PREPAID} and pc.place == "Касса 1"
    assert pc.address is None and pc.bonus_method is None


async def test_a_bad_payments_key_is_one_sentence_naming_it(tmp_path: Path) -> None:
    bad = cfg()
    bad["pos"]["payments"]["taxation"] = "usn"
    with pytest.raises(ConfigError) as err:
        async with make_hub(bad, tmp_path, plugins=[kassa_pos]):
            pass
    assert "pos.payments" in str(err.value) and "taxation: 'usn' is not one of" in str(err.value)
    assert "Attribute(" not in str(err.value)


async def test_devices_without_a_scale_refuse_to_weigh() -> None:
    devices = TillDevices(None, site="s1", till="t1")
    with pytest.raises(UserError, match="не подключены весы"):
        await devices.weigh()


async def test_the_scales_emulator_weighs_at_the_till(tmp_path: Path) -> None:
    from kassa_scales.scale import PosScale
    from kassa_scales.sim import Curve, ScaleSimulator, emulator_for

    sim = ScaleSimulator(emulator_for("cas", Curve(start=0).ramp(512, 0.1)))
    await sim.start()
    try:
        scale = PosScale(sim.settings(name="scale1"))
        async with hub(tmp_path, Parts(tmp_path, [scale]), scale="scale1") as h:
            till = await till_of(h)
            await till.open_shift(ANNA)
            check = await till.new_check(ANNA)
            line = await till.add(check, plu=101, actor=ANNA)
            assert line.quantity == Decimal("0.512")
    finally:
        await sim.stop()


async def test_the_serial_scanner_emulator_feeds_the_till(tmp_path: Path) -> None:
    from kassa_scanner.scanner import SerialScanner
    from kassa_scanner.settings import ScannerSettings
    from kassa_scanner.sim import ScannerSimulator

    sim = ScannerSimulator((("scan1", "cr"),))
    await sim.start()
    try:
        device = SerialScanner(ScannerSettings(name="scan1", port=sim["scan1"].port,
                                               terminator="cr"))
        async with hub(tmp_path, Parts(tmp_path, [device]), scanners=["scan1"]) as h:
            till = await till_of(h)
            await till.open_shift(ANNA)
            got = anyio.Event()

            async def on_scan(scan: Scan) -> None:
                await till.scan_active(scan.code, actor=ANNA)
                got.set()

            async def on_error(scan: Scan, exc: Exception) -> None:
                raise AssertionError(f"{scan.code}: {exc}")

            async with anyio.create_task_group() as tg:
                tg.start_soon(till.devices.feed, on_scan, on_error)
                await sim["scan1"].scan("4600000000011")
                with anyio.fail_after(5):
                    await got.wait()
                tg.cancel_scope.cancel()
            check = till.book.active("till1")
            assert check is not None and [ln.item_code for ln in check.live] == ["m1"]
    finally:
        await sim.stop()


async def test_the_drawer_opens_through_the_slip_printer_once_and_is_audited(
        tmp_path: Path) -> None:
    printer = FakePrinter("slip1", path=tmp_path / "p.db")
    async with hub(tmp_path, Parts(tmp_path, [printer]), printer="slip1") as h:
        till = await till_of(h)
        with pytest.raises(UserError, match="причину"):
            await till.open_drawer(VERA, reason="  ")
        with pytest.raises(AccessDenied):  # a cashier needs a manager's confirmation
            await till.open_drawer(ANNA, reason="размен")
        assert printer.paper() == []
        assert await till.open_drawer(VERA, reason="размен") is True
        (body,) = [b for _, _, b in printer.far.effects()]
        assert body["open_drawer"] is True and body["cut"] is False
        assert "размен" in body["lines"]
        opened = [e for e in await h.events(site="s1") if e.kind == "pos_drawer_opened"]
        assert len(opened) == 1 and opened[0].reason == "размен"
        assert opened[0].data["kicked"] is True and opened[0].employee == "Вера"
        printer.paper_out = True  # no kick, so no event saying the drawer opened
        with pytest.raises(RetryLater):
            await till.open_drawer(VERA, reason="размен")
        assert len([e for e in await h.events(site="s1")
                    if e.kind == "pos_drawer_opened"]) == 1


async def test_without_a_printer_the_drawer_opening_is_still_recorded(tmp_path: Path) -> None:
    async with hub(tmp_path, Parts(tmp_path, [])) as h:
        till = await till_of(h)
        assert await till.open_drawer(VERA, reason="проверка купюры") is False
        (ev,) = [e for e in await h.events(site="s1") if e.kind == "pos_drawer_opened"]
        assert ev.data["kicked"] is False


async def test_a_once_prompt_stays_given_after_a_restart(tmp_path: Path) -> None:
    parts = Parts(tmp_path, [])
    async with hub(tmp_path, parts) as h:
        till = await till_of(h)
        await till.open_shift(ANNA)
        check = await till.new_check(ANNA)
        await till.scan(check, "4600000000011", actor=ANNA)
        assert till.prompts(check) == ["Предложите пакет"]
        await till.scan(check, "4600000000011", actor=ANNA)  # saves what fired with it
        check_id = check.id
    async with hub(tmp_path, Parts(tmp_path, [])) as h:  # the till restarts
        till = await till_of(h)
        (again,) = till.book.checks("till1")
        assert again.id == check_id and again.prompted == {"bag"}
        await till.scan(again, "4600000000011", actor=ANNA)
        assert till.prompts(again) == []
        other = await till.new_check(ANNA)
        await till.scan(other, "4600000000011", actor=ANNA)
        assert till.prompts(other) == ["Предложите пакет"]  # per check, not per till
