"""The console's Fiscal panel against a real hub (admin API on a port) with the core's fake
register: the state of each register, and actions that happen only after a confirmation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from kassa import hookimpl
from kassa.api.client import AdminClient
from kassa.fiscal_ops.actions import ActionError, correction
from kassa.model import Cashier, CorrectionReceipt, DocumentKind, FiscalDocument
from kassa.model.ffd import CorrectionType, Operation, PaymentKind, TaxSystem
from kassa.testing import FakeClock, make_hub
from kassa.testing.contracts import sample_receipt
from kassa.testing.fakes import FakeRegister
from kassa_console.app import ConsoleApp
from kassa_console.screens.fiscal import ConfirmAction, FiscalScreen
from textual.widgets import DataTable, Input, Label, Select, Static

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Registers:
    def __init__(self, *regs: Any) -> None:
        self.regs = list(regs)

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return self.regs


CONFIG = {"sites": [{"code": "s1", "name": "Невский", "fiscal": "fr1"},
                    {"code": "s2", "name": "Мойка", "fiscal": "fr2"}],
          "fiscal": {"poll_interval": 0}}


@pytest.fixture
async def live(tmp_path: Any) -> AsyncIterator[tuple[Any, FakeRegister, FakeRegister, ConsoleApp]]:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    fr1 = FakeRegister("fr1", path=tmp_path / "fr1.db", clock=clock)
    fr2 = FakeRegister("fr2", path=tmp_path / "fr2.db", clock=clock)
    async with make_hub(CONFIG, tmp_path, plugins=[Registers(fr1, fr2)], clock=clock,
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", "test-token")
        yield hub, fr1, fr2, ConsoleApp(client, panels=[], own_client=True, refresh_s=0.3)


async def wait_for(pilot: Any, condition: Callable[[], Any], within: float = 10.0) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"condition not met in {within}s")


def rows(app: ConsoleApp) -> list[list[str]]:
    table = app.screen.query_one("#registers", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def detail(app: ConsoleApp) -> str:
    return str(app.screen.query_one("#fiscal-detail", Static).render())


async def test_state_of_every_register_and_confirmed_actions(live):
    hub, fr1, fr2, app = live
    fr2.paper_out = True
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen) and
                       len(rows(app)) == 2)
        assert rows(app)[0][:3] == ["s1", "fr1", "закрыта"]
        assert rows(app)[1][5] == "НЕТ"  # fr2 is out of paper
        assert "Касса «fr1», точка s1" in detail(app)

        await pilot.press("o")  # open the shift: asked first
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.press("escape")  # cancelled: nothing happens
        await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen))
        assert fr1.effects("shift_open") == 0
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: fr1.effects("shift_open") == 1)
        await wait_for(pilot, lambda: rows(app)[0][2].startswith("№1 · "))

        await pilot.press("i")  # cash in: the amount is asked in the dialog
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        app.screen.query_one("#fiscal-amount", Input).value = "1500,50"
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: fr1.effects("cash_in") == 1)
        assert fr1.documents()[-1].total == 150050

        await hub.fiscal.receipt(sample_receipt(), key="sale-1", site="s1")
        await wait_for(pilot, lambda: rows(app)[0][6].startswith("чек · "))
        await wait_for(pilot, lambda: "QR: t=" in detail(app))

        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: fr1.effects("x_report") == 1)


async def test_a_refusal_is_shown_not_crashed(live):
    _hub, fr1, _fr2, app = live
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen) and
                       len(rows(app)) == 2)
        await pilot.press("z")  # the shift is closed: the hub says so in one sentence
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
        await pilot.click("#fiscal-ok")
        await wait_for(pilot, lambda: any("закрыта: сначала откройте смену" in str(n.message)
                                          for n in app._notifications))
        assert fr1.effects("shift_close") == 0


class RecordingRegister(FakeRegister):
    """The core's fake register, keeping the correction receipts it was asked to print."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.corrections: list[CorrectionReceipt] = []

    async def correction(self, correction: CorrectionReceipt, key: str) -> FiscalDocument:
        self.corrections.append(correction)
        return await super().correction(correction, key)


def notes(app: ConsoleApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_correction_receipt_is_asked_for_its_fields_and_confirmed(tmp_path: Any) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    fr1 = RecordingRegister("fr1", path=tmp_path / "fr1.db", clock=clock)
    fr2 = FakeRegister("fr2", path=tmp_path / "fr2.db", clock=clock)
    async with make_hub(CONFIG, tmp_path, plugins=[Registers(fr1, fr2)], clock=clock,
                        api=True) as hub:
        client = AdminClient(f"http://127.0.0.1:{hub.api_port}", "test-token")
        app = ConsoleApp(client, panels=[], own_client=True, refresh_s=0.3)
        await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open-1", site="s1")
        async with app.run_test(size=(80, 24)) as pilot:  # the form fits the smallest size
            await pilot.press("f")
            await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen) and
                           len(rows(app)) == 2)
            footer = {k: b.binding.description for k, b in app.active_bindings.items()
                      if b.binding.show}
            assert footer["k"] == "коррекция"

            await pilot.press("k")  # asked first; Esc cancels and nothing is printed
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
            question = str(app.screen.query_one("#fiscal-question", Label).render())
            assert question == "Выполнить: чек коррекции на кассе «fr1» (точка s1)?"
            chosen = app.screen.query_one("#fiscal-operation", Select)
            assert chosen.value == "sell"
            # each choice shows on its own row of the 80x24 form (not pushed out of it)
            assert chosen.children[0].region.y == chosen.region.y
            assert app.screen.query_one("#fiscal-ok").region.bottom <= 24
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, FiscalScreen))
            assert fr1.effects("correction") == 0

            # by the tax office's order but no order number: the hub's sentence, nothing done
            await pilot.press("k")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
            app.screen.query_one("#fiscal-amount", Input).value = "150"
            app.screen.query_one("#fiscal-type", Select).value = "instruction"
            await pilot.click("#fiscal-ok")
            await wait_for(pilot, lambda: any("номер предписания" in n for n in notes(app)))
            assert fr1.effects("correction") == 0 and fr1.corrections == []

            # a date no one can read: one sentence naming the field
            await pilot.press("k")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
            app.screen.query_one("#fiscal-amount", Input).value = "150"
            app.screen.query_one("#fiscal-basis_date", Input).value = "вчера"
            await pilot.click("#fiscal-ok")
            await wait_for(pilot, lambda: any("дата основания (1178) «вчера» не дата" in n
                                              for n in notes(app)))
            assert fr1.effects("correction") == 0

            await pilot.press("k")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmAction))
            screen = app.screen
            screen.query_one("#fiscal-amount", Input).value = "1 500,50"
            screen.query_one("#fiscal-operation", Select).value = "sell_refund"
            screen.query_one("#fiscal-type", Select).value = "instruction"
            screen.query_one("#fiscal-payment", Select).value = "electronic"
            screen.query_one("#fiscal-taxation", Select).value = "usn_income"
            screen.query_one("#fiscal-basis_date", Input).value = "20.11.2026"
            screen.query_one("#fiscal-basis_number", Input).value = " 77-15/2026 "
            await pilot.click("#fiscal-ok")
            await wait_for(pilot, lambda: fr1.effects("correction") == 1)
            await wait_for(pilot, lambda: any(n.startswith("Чек коррекции на 1\xa0500,50\xa0₽ "
                                                           "пробит на кассе «fr1» (ФД №2")
                                              for n in notes(app)))
            (corr,) = fr1.corrections
            assert (corr.operation, corr.correction_type) == (Operation.SELL_REFUND,
                                                              CorrectionType.INSTRUCTION)
            assert corr.taxation is TaxSystem.USN_INCOME and corr.total == 150050
            assert [(p.kind, p.amount) for p in corr.payments] == [(PaymentKind.ELECTRONIC,
                                                                    150050)]
            assert corr.basis_date == date(2026, 11, 20) and corr.basis_number == "77-15/2026"
            assert fr1.documents()[-1].kind is DocumentKind.CORRECTION
            await wait_for(pilot, lambda: rows(app)[0][6].startswith("чек коррекции · "))
            assert fr2.effects() == 0


def test_a_correction_field_outside_its_list_is_one_sentence_naming_it() -> None:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with pytest.raises(ActionError) as err:
        correction({"amount": 100, "payment": "bitcoin"}, now, Cashier(name="И"), "ru")
    assert str(err.value) == ("Чек коррекции: «bitcoin» не подходит для поля payment (1031); "
                              "можно: cash, electronic, prepaid, credit, counter_provision.")
    with pytest.raises(ActionError, match=r"basis date \(1178\) “32\.11\.2026” is not a date"):
        correction({"amount": 100, "basis_date": "32.11.2026"}, now, Cashier(name="I"), "en")
    ok = correction({"amount": 100, "basis_date": "2026-11-20", "basis_number": "  "}, now,
                    Cashier(name="I"), "en")
    assert ok.basis_date == date(2026, 11, 20) and ok.basis_number is None
    assert ok.operation is Operation.SELL and ok.taxation is TaxSystem.OSN
