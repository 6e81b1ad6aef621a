"""End of day against the register's own shift counters (``delivery_shift_check``): drivers'
payments through the API, fiscalised on the ATOL Web Server emulator and on the Shtrih-M
emulator as the office register, then the report holds the delivery receipts of the shift by
kind against the register's counters (getShiftTotals / 0x1A-0x1B). An office sale of its own
on the register is "other receipts", never an alarm; a register whose counters lack one of our
receipts is the alarm."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import kassa_atol
import kassa_delivery
import kassa_shtrih
import pytest
from kassa.model import Cashier, Operation, OperationTotals, Period, ShiftTotals
from kassa.testing import FakeClock, eventually, make_hub
from kassa.testing.contracts.fiscal import sample_receipt
from kassa.testing.fakes import FakeRegister
from kassa_atol.sim import AtolSimulator
from kassa_atol.sim.kkt import MSK
from kassa_delivery.reports import ShiftCheck
from kassa_shtrih.sim import ShtrihSimulator

from .conftest import APP, KEEPALIVE, START, Parts, delivery_config, idem, payment

pytestmark = pytest.mark.anyio
PERIOD = Period(start=START - timedelta(hours=1), end=START + timedelta(days=1))


class RegisterClock:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock

    def now(self) -> Any:
        return self.clock.now().astimezone(MSK)


@pytest.fixture(params=["atol", "shtrih"])
async def office(request: Any, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    clock = FakeClock(START)
    plugin: ModuleType
    if request.param == "atol":
        sim: Any = AtolSimulator("fr1", clock=RegisterClock(clock))
        frag = await sim.start()
        section, plugin = {"atol": frag["atol"]}, kassa_atol
        name = frag["sites"][0]["fiscal"]
    else:
        sim = ShtrihSimulator(register_name="fr1")
        reg = (await sim.start())["shtrih"]["registers"][0]
        section, plugin = {"shtrih": {"registers": [{**reg, "byte_timeout": 0.2}]}}, \
            kassa_shtrih
        name = reg["name"]
    offices = [{"site": "d1", "register": name, "cashier": "Иванова И. И.",
                "ofd_account": "main"}]
    config = {"sites": [{"code": "d1", "name": "Доставка", "fiscal": name}], "chats": [],
              "fiscal": {"poll_interval": 0}, "delivery": delivery_config(offices=offices),
              **section}
    try:
        async with make_hub(config, tmp_path, plugins=[plugin, kassa_delivery], clock=clock,
                            api=True) as hub:
            async with httpx.AsyncClient(
                    base_url=f"http://127.0.0.1:{hub.api_port}/api/delivery/v1",
                    timeout=30, limits=KEEPALIVE) as api:
                yield {"hub": hub, "api": api, "sim": sim}
    finally:
        await sim.stop()


async def pay(api: httpx.AsyncClient, hub: Any, kinds: list[str]) -> None:
    ids = []
    for n, kind in enumerate(kinds):
        r = await api.post("/payments", headers=idem(f"p{n}"),
                           json=payment(f"A-{n}", payment={"kind": kind, "amount": 85000}))
        assert r.status_code in (200, 201, 202), r.text
        ids.append(r.json()["job_id"])

    async def done() -> bool:
        got = [(await api.get(f"/jobs/{i}", headers=APP)).json() for i in ids]
        return all(j["status"] == "fiscalised" for j in got)
    await eventually(done, hub=hub, within=30)


def by_what(rows: Any) -> dict[str, tuple[Any, ...]]:
    return {str(r[2]).split(":")[0].split(" (")[0]: tuple(r) for r in rows}


async def test_the_shift_against_the_registers_counters(office: dict[str, Any]) -> None:
    hub, api = office["hub"], office["api"]
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open", site="d1")
    await pay(api, hub, ["cash", "card", "cash"])
    # the office sells at the same register: on its counters, not in the drivers' jobs
    await hub.fiscal.receipt(sample_receipt(10000), key="office-sale", site="d1")
    rep = await ShiftCheck().build(SimpleNamespace(hub=hub, locale="ru"), "d1", PERIOD)
    rows = by_what(rep.rows)
    assert rows["Чеков прихода"][2].endswith(": 3 / 4")
    assert rows["Чеков прихода"][6] == "на кассе есть другие чеки"
    assert rows["Сумма"][3:7] == (255000, 265000, 10000, "на кассе есть другие чеки")
    assert rows["Наличными"][3:6] == (170000, 180000, 10000)
    assert rows["Безналичными"][3:7] == (85000, 85000, 0, "сходится")
    assert all("ТРЕВОГА" not in str(r[6]) for r in rep.rows)
    assert rows["Сумма"][1] == 1  # the register's shift number

    # after Z and a new shift the counters start again, and so do the shift's receipts
    await hub.fiscal.close_shift(Cashier(name="Иванова"), key="z", site="d1")
    await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open2", site="d1")
    rep = await ShiftCheck().build(SimpleNamespace(hub=hub, locale="en"), "d1", PERIOD)
    totals = {r[2]: r for r in rep.rows}
    assert totals["Total"][3:7] == (0, 0, 0, "matches")


class LosingRegister(FakeRegister):
    """A register whose counters lack our last receipt (it went onto another FN)."""

    async def shift_totals(self) -> ShiftTotals:
        t = await super().shift_totals()
        sale = t.of(Operation.SELL)
        assert sale is not None and sale.cash is not None
        less = OperationTotals(count=sale.count - 1, total=sale.total - 85000,
                               cash=sale.cash - 85000, electronic=sale.electronic)
        return ShiftTotals(shift=t.shift, operations={**t.operations, Operation.SELL: less})


async def test_our_receipts_missing_from_the_counters_is_the_alarm(tmp_path: Path,
                                                                   clock: FakeClock) -> None:
    reg = LosingRegister("fr1", path=tmp_path / "fr1.db", clock=clock)
    config = {"sites": [{"code": "d1", "fiscal": "fr1"}], "chats": [],
              "fiscal": {"poll_interval": 0}, "delivery": delivery_config()}
    async with make_hub(config, tmp_path, plugins=[kassa_delivery, Parts(reg)], clock=clock,
                        api=True) as hub:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{hub.api_port}"
                                     "/api/delivery/v1", timeout=30, limits=KEEPALIVE) as api:
            await hub.fiscal.open_shift(Cashier(name="Иванова"), key="open", site="d1")
            await pay(api, hub, ["cash", "cash"])
            rep = await ShiftCheck().build(SimpleNamespace(hub=hub, locale="ru"), "d1",
                                           PERIOD)
    rows = by_what(rep.rows)
    assert rows["Сумма"][3:6] == (170000, 85000, -85000)
    assert rows["Сумма"][6].startswith("ТРЕВОГА")
    assert rows["Безналичными"][6] == "сходится"
    assert any("Тревог: 3." in n for n in rep.notes)  # count, total and cash


async def test_a_register_without_counters_says_so(tmp_path: Path, clock: FakeClock) -> None:
    from kassa_register.tape import TapeRegister  # the docs' example: no shift totals

    reg = TapeRegister("fr1", tmp_path / "tape.jsonl", clock=clock)
    config = {"sites": [{"code": "d1", "fiscal": "fr1"}], "chats": [],
              "fiscal": {"poll_interval": 0}, "delivery": delivery_config()}
    async with make_hub(config, tmp_path, plugins=[kassa_delivery, Parts(reg)],
                        clock=clock) as hub:
        rep = await ShiftCheck().build(SimpleNamespace(hub=hub, locale="ru"), "d1", PERIOD)
    assert [r[6] for r in rep.rows] == ["касса не сообщает счётчики смены"]
