"""The plugin in a running hub: the payment method through ``hub.payments`` (the journal),
the alert when Lime is away, the detailed sales report as chat text and XLSX, the card's
history, the loyalty contract, and ``kassa lime simulate`` from the shell."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import kassa_lime
import pytest
from kassa.errors import RetryLater
from kassa.model import OrderLine, Period
from kassa.reports import render, service
from kassa.testing import eventually, make_hub
from kassa.testing.contracts import LoyaltyProgramContract
from kassa_lime.reports import card_history
from kassa_lime.runtime import runtime_for
from kassa_lime.sim import LimeSimulator

from plugins.lime.tests.conftest import CARD_A, CARD_B, close, make_accounts, settings_for

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def hub_with_lime(tmp_path: Path, **lime: Any) -> AsyncIterator[tuple[Any, LimeSimulator]]:
    sim = LimeSimulator()
    fragment = dict(await sim.start())
    fragment["lime"] = {**fragment["lime"], "state_dir": str(tmp_path / "lime"), **lime}
    try:
        async with make_hub({"sites": [{"code": "s1", "name": "Кафе"}], **fragment}, tmp_path,
                            plugins=[kassa_lime]) as hub:
            yield hub, sim
    finally:
        await sim.stop()


async def test_the_hubs_loop_puts_what_waited_when_lime_is_back(tmp_path: Path) -> None:
    async with hub_with_lime(tmp_path, retry_seconds=0.1) as (hub, sim):
        h = await hub.payments.hold(CARD_A, 5000, key="w:hold", site="s1", method="lime")
        sim.app.outage = True
        await hub.payments.capture(h.id, None, key="w:capture", site="s1", method="lime")
        assert sim.model.put_checks == 0
        sim.app.outage = False
        await eventually(lambda: sim.model.put_checks == 1, within=10)
        await eventually(lambda: _has(hub, "lime_check_delivered"), hub=hub, within=10)
        assert sim.model.put_checks == 1


async def _has(hub: Any, kind: str) -> bool:
    return any(e.kind == kind for e in await hub.events(site="s1"))


def today() -> Period:
    now = datetime.now(UTC)
    return Period(start=now - timedelta(days=1), end=now + timedelta(days=1), label="сегодня")


async def test_pay_from_lime_through_the_hubs_journal(tmp_path: Path) -> None:
    async with hub_with_lime(tmp_path) as (hub, sim):
        assert hub.component("payment", "lime") is not None
        h = await hub.payments.hold(CARD_A, 12000, key="t1:hold", site="s1", method="lime")
        again = await hub.payments.hold(CARD_A, 12000, key="t1:hold", site="s1", method="lime")
        assert again == h
        await hub.payments.capture(h.id, None, key="t1:capture", site="s1", method="lime")
        assert sim.model.put_checks == 1
        assert (await hub.journal.entry("t1:capture")).status == "done"
        sim.app.outage = True
        with pytest.raises(RetryLater):
            await hub.payments.hold(CARD_B, 100, key="t2:hold", site="s1", method="lime")
        kinds = [e.kind for e in await hub.events(site="s1")]
        assert "lime_unreachable" in kinds


async def test_the_detailed_sales_report_renders_and_matches_lime(tmp_path: Path) -> None:
    async with hub_with_lime(tmp_path) as (hub, sim):
        rt = runtime_for(hub)
        assert rt is not None
        acc = rt.accounts
        a = await acc.hold(CARD_A, 20000, key="ha")
        b = await acc.hold(CARD_B, 10000, key="hb")
        lines = [OrderLine(code="42", name="Обед", quantity=Decimal(1), price=15000,
                           amount=15000),
                 OrderLine(code="43", name="Кофе", quantity=Decimal(3), price=5000,
                           amount=15000)]
        await acc.capture_check(lines, [(a.id, 20000), (b.id, 10000)], key="chk")
        report = await service.build(hub, "lime_detailed_sales", "s1", today(), "ru")
        assert [r[3] for r in report.rows] == ["Обед", "Кофе"]
        coffee = report.rows[1]
        assert coffee[4] == "7799000, 7799001" and coffee[7] == 3
        assert coffee[8] == "Депозит: 50,00\u00a0₽; Депозит: 100,00\u00a0₽"
        lime_rows = sim.model.detailed_sales(today().start, today().end)
        assert [(r["product"], r["cardUids"], Decimal(r["units"])) for r in lime_rows] == [
            (r[3], r[4], r[7]) for r in report.rows]
        text, files = render.for_chat(report, "Кафе", "ru")
        assert "Обед" in text and "<pre>" in text and not files
        book = render.table_file(report, "Кафе")
        assert book.filename.endswith(".xlsx") and book.content[:2] == b"PK"
        hist = card_history(rt.store, CARD_B, today(), tz=rt.tz, cashdesk="Касса 1",
                            operator="1")
        assert [(r[0], r[2], r[3], r[4], r[8]) for r in hist.rows] == [
            ("Продажа", "Депозит", -10000, "Кофе", "7799001")]  # the larger share pays
        assert "Кофе" in render.table_text(hist)
        other = await service.build(hub, "lime_detailed_sales", "s2", today(), "ru")
        assert not other.rows


def lime_loyalty(tmp_path: Path) -> Any:
    class Program:
        name = "lime"

        def __init__(self) -> None:
            self.sim = LimeSimulator()

        async def start(self) -> None:
            await self.sim.start()
            from kassa_lime.loyalty import LimeLoyalty

            self.acc = make_accounts(settings_for(self.sim, tmp_path))
            self.p = LimeLoyalty(self.acc)

        async def stop(self) -> None:
            await close(self.acc)
            await self.sim.stop()

        def __getattr__(self, name: str) -> Any:
            return getattr(self.p, name)

    return Program()


class TestLimeLoyalty(LoyaltyProgramContract):
    make_program = staticmethod(lime_loyalty)
    identifier = CARD_A


async def test_identify_shows_the_holder_and_every_right(tmp_path: Path) -> None:
    p = lime_loyalty(tmp_path)
    await p.start()
    try:
        g = await p.identify(CARD_A)
        assert g.name == "Гость 1"
        assert [(a.id, a.kind, a.available) for a in g.accounts] == [
            ("7799000#555", "debit", 500000), ("7799000#556", "bonus", 30000)]
    finally:
        await p.stop()


def test_kassa_lime_simulate_prints_a_valid_block() -> None:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    kassa = str(Path(sys.executable).parent / "kassa")
    proc = subprocess.Popen([kassa, "lime", "simulate", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = []
        for out in proc.stdout:
            lines.append(out)
            if out.startswith('name = "Оплата"') or len(lines) > 60:
                break
        block = tomllib.loads("".join(lines))
        assert block["lime"]["base_url"].startswith("http://127.0.0.1:")
        assert [g["good_type_id"] for g in block["lime"]["good_types"]] == [42, 43, 44, 1]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "checks put: 0" in err
