"""The plugin in a running hub: r_keeper-shaped events (read as data) and fiscal receipts
become till events on the emulator through ``hub.devices`` (the journal), a payload that
does not fit is one log line, and a hub restarted with a backlog replays it exactly once."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import kassa_video
import pytest
from attrs import evolve
from kassa import hookimpl
from kassa.model import Cashier, Event, Health, Line, Operation
from kassa.supervision import Backoff
from kassa.testing import make_hub, sample_receipt
from kassa.testing.fakes import FakeRegister
from kassa_video.mapping import Mapper
from kassa_video.sim import VideoSimulator

from .conftest import wait_for

pytestmark = pytest.mark.anyio
FAST = Backoff(initial=0.02, maximum=0.1, device_poll=0.05)
T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 12:00 in Moscow


def config(sim: VideoSimulator, name: str = "dssl", **feed: Any) -> dict[str, Any]:
    base = {"name": name, "host": "127.0.0.1", "port": sim[name].port, "site": "s1",
            "protocol": sim[name].protocol, "terminals": {"st1": "cas_1"},
            "reconnect_max": 0.2, "connect_timeout": 2.0}
    return {"sites": [{"code": "s1", "name": "Невский"}, {"code": "s2"}],
            "video": {"feeds": [base | feed]}}


def ev(kind: str, n: int, **kw: Any) -> Event:
    kw.setdefault("station", "st1")
    kw.setdefault("order", "12/3")
    kw.setdefault("employee", "Иванова А.")
    return Event(site=kw.pop("site", "s1"), kind=kind, source_key=f"{kind}:{n}",
                 occurred_at=T0 + timedelta(seconds=n), **kw)


BORSCH = Line(name="Борщ", quantity=Decimal(2), amount=90000, code="101", price=45000)
TEA = Line(name="Чай", quantity=Decimal(1), amount=15000, code="7", price=15000)
CHECK = [
    ev("order_saved", 1, lines=[BORSCH, TEA], amount=105000),
    ev("saved_dish_deleted", 2, lines=[TEA], amount=15000, reason="Ошибка официанта"),
    ev("quantity_changed", 3, lines=[BORSCH], data={"before": "2", "after": "3"}),
    ev("loyalty_discount_added", 4, amount=13500,
       data={"discount": "Гость", "card": "7788001234"}),
    ev("check_closed", 5, amount=121500, data={"check": "1532", "payments": [
        {"currency": "Наличные", "type": "cash", "amount": 21500},
        {"currency": "Visa", "type": "card", "amount": 100000}]}),
]
KINDS = ["receipt_open", "line_add", "line_add", "line_void", "line_add", "discount",
         "payment", "payment", "receipt_close"]


async def test_a_check_reaches_the_video_system_in_order(sim: VideoSimulator,
                                                         tmp_path: Path) -> None:
    far = sim["dssl"]
    async with make_hub(config(sim), tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        (feed,) = list(hub.devices)
        for e in CHECK:
            assert await hub.emit(e)
        await wait_for(lambda: len(far.records) == len(KINDS))
        assert far.kinds() == KINDS and far.flags == [] and far.duplicates() == []
        first, void, more, discount, cash, card, close = (far.records[i].fields for i in
                                                          (0, 3, 4, 5, 6, 7, 8))
        assert first == {"event_type": "POSNG_RECEIPT_OPEN", "operation_id": "12/3",
                         "cashier": "Иванова А.", "date": "02/12/2026", "time": "12:00:01",
                         "location": "cas_1"}  # the till's local clock (Moscow)
        assert (void["text"], void["price"], void["position"]) == ("Чай", "150.00", "3")
        assert (more["text"], more["quantity"], more["price"]) == ("Борщ", "1", "450.00")
        assert discount["text"] == "Скидка «Гость» по карте …1234"  # the card number masked
        assert discount["price"] == "-135.00"
        assert (cash["event_type"], card["event_type"]) == ("POSNG_PAYMENT_CASH",
                                                             "POSNG_PAYMENT_CARD")
        assert close["price"] == "1215.00"
        entry = await hub.journal.entry(f"video:dssl:{CHECK[0].id}:0")
        assert entry is not None and entry.status == "done" and entry.component == "dssl"
        await wait_for(lambda: feed.backlog == 0)
        assert feed.status().health is Health.OK


async def test_other_sites_unmapped_tills_and_other_kinds_are_not_fed(
        sim: VideoSimulator, tmp_path: Path) -> None:
    far = sim["text"]
    cfg = config(sim, "text", only_mapped=True, skip=["saved_dish_deleted"])
    async with make_hub(cfg, tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        await hub.emit(ev("order_saved", 1, site="s2", lines=[TEA]))  # another site
        await hub.emit(ev("order_saved", 2, station="st9", lines=[TEA]))  # not mapped
        await hub.emit(ev("employee_login", 3))  # not a till event for video
        await hub.emit(ev("saved_dish_deleted", 4, lines=[TEA]))  # skipped by config
        await hub.emit(ev("check_deleted", 5, order="7/1", amount=100))
        await wait_for(lambda: len(far.records) == 1)
        assert far.records[0].raw.decode() == (
            "2026-12-02 12:00:05\tcas_1\treceipt_cancel\t7/1\t1.00 (Иванова А.)")


async def test_a_payload_that_does_not_fit_is_one_log_line(
        sim: VideoSimulator, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    far = sim["dssl"]
    bad = [ev("check_closed", 1, amount=100, data={"payments": "all cash"}),
           ev("order_saved", 2, lines=[Line(name="", quantity=Decimal(1))]),
           ev("quantity_changed", 3, lines=[TEA], data={"before": "два", "after": "3"}),
           ev("saved_dish_deleted", 4, order=None, lines=[TEA]),
           ev("check_closed", 5, amount=100, data={"payments": [{"amount": "много"}]})]
    async with make_hub(config(sim), tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        with caplog.at_level(logging.WARNING, logger="kassa.video"):
            for e in bad:
                await hub.emit(e)
            await hub.emit(ev("drawer_opened", 6, order=None))
            await wait_for(lambda: len(far.records) == 1)
        assert far.kinds() == ["drawer_open"]
        lines = [r.getMessage() for r in caplog.records if "не понято" in r.getMessage()]
        assert len(lines) == len(bad)
        assert all("\n" not in ln for ln in lines)
        assert lines[0] == (f"Событие check_closed ({bad[0].id}) с точки s1 не понято и в"
                            " видеосистему не передано: data.payments is not a list:"
                            " 'all cash'.")
        assert "a line has no name" in lines[1] and "data.before" in lines[2]
        assert "names no order" in lines[3] and "'много'" in lines[4]


async def test_a_hub_restarted_with_a_backlog_replays_it_once(sim: VideoSimulator,
                                                              tmp_path: Path) -> None:
    far = sim["axxon"]
    await far.pause()
    cfg = config(sim, "axxon")
    async with make_hub(cfg, tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        for e in CHECK:
            await hub.emit(e)
        (feed,) = list(hub.devices)
        await wait_for(lambda: feed.accepted == len(KINDS))
        assert feed.status().health is Health.DEGRADED
    assert far.records == []
    async with make_hub(cfg, tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        (feed,) = list(hub.devices)
        assert feed.status().detail["backlog"] == len(KINDS)
        await far.resume()
        await wait_for(lambda: len(far.records) == len(KINDS))
        await wait_for(lambda: feed.backlog == 0)
        assert far.kinds() == KINDS and far.duplicates() == [] and far.flags == []
        assert [r.fields["TransactionTimestamp"] for r in far.records][:2] == [
            "2026-12-02T09:00:01.000", "2026-12-02T09:00:01.000"]  # UTC+0 (B.2)


class Register:
    def __init__(self, reg: FakeRegister) -> None:
        self.reg = reg

    @hookimpl
    def register_fiscal_devices(self, hub: Any) -> list[Any]:
        return [self.reg]


async def test_a_fiscal_receipt_is_fed_where_asked(sim: VideoSimulator,
                                                   tmp_path: Path) -> None:
    far = sim["text"]
    reg = FakeRegister("fr1", path=tmp_path / "fr1.db")
    cfg = config(sim, "text", fiscal=True)
    cfg["sites"][0]["fiscal"] = "fr1"
    cfg["fiscal"] = {"poll_interval": 0}
    async with make_hub(cfg, tmp_path, plugins=[kassa_video, Register(reg)],
                        backoff=FAST) as hub:
        await hub.fiscal.open_shift(key="shift-1", site="s1", station="st1",
                                    cashier=Cashier(name="Петрова"))
        receipt = evolve(sample_receipt(15000), cashier=Cashier(name="Петрова"))
        doc = await hub.fiscal.receipt(receipt, key="r-1", site="s1", station="st1")
        await wait_for(lambda: len(far.records) == 5)
        assert far.kinds() == ["shift_open", "receipt_open", "line_add", "payment",
                               "receipt_close"]
        rid = str(doc.receipt_number or doc.number)
        assert {r.receipt for r in far.records[1:]} == {rid} and far.flags == []
        assert far.records[2].fields["detail"] == "1 Чай 1 x 150.00 = 150.00"
        assert far.records[3].fields["detail"] == "cash 150.00 (Петрова)"
        assert far.records[4].fields["detail"] == "150.00 (Петрова)"


async def test_a_refund_receipt_reaches_the_video_system_as_a_return(sim: VideoSimulator,
                                                                     tmp_path: Path) -> None:
    far = sim["dssl"]
    reg = FakeRegister("fr1", path=tmp_path / "fr1.db")
    cfg = config(sim, fiscal=True)
    cfg["sites"][0]["fiscal"] = "fr1"
    cfg["fiscal"] = {"poll_interval": 0}
    async with make_hub(cfg, tmp_path, plugins=[kassa_video, Register(reg)],
                        backoff=FAST) as hub:
        await hub.fiscal.open_shift(key="shift-1", site="s1", station="st1",
                                    cashier=Cashier(name="Петрова"))
        refund = evolve(sample_receipt(15000), operation=Operation.SELL_REFUND)
        await hub.fiscal.receipt(refund, key="r-1", site="s1", station="st1")
        await wait_for(lambda: len(far.records) == 5)
    types = [r.fields["event_type"] for r in far.records]
    assert types == ["POSNG_SHIFT_START", "POSNG_RECEIPT_RETURN", "POSNG_POSITION_ADD",
                     "POSNG_PAYMENT_CASH", "POSNG_RECEIPT_RETURN_CLOSE"]
    assert far.flags == []  # a return receipt opens and closes like any other


async def test_a_retry_with_the_same_key_queues_nothing_twice(sim: VideoSimulator,
                                                              tmp_path: Path) -> None:
    far = sim["dssl"]
    async with make_hub(config(sim), tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        (feed,) = list(hub.devices)
        pos = Mapper(lambda _: UTC, lambda key, **kw: key).map(CHECK[0])
        for i, p in enumerate(pos):  # twice, as a caller retrying after a timeout would
            for _ in range(2):
                await hub.devices.video(evolve(p, terminal_id="cas_1"), key=f"x:{i}",
                                        site="s1", sink="dssl")
        await wait_for(lambda: feed.backlog == 0 and len(far.records) == len(pos))
        assert far.kinds() == [str(p.kind) for p in pos] and feed.accepted == len(pos)


KILLED_HUB = textwrap.dedent("""
    import json, os, sys
    from datetime import datetime
    import anyio, kassa_video
    from kassa.model import Event
    from kassa.testing import make_hub

    async def main():
        cfg, tmp, events = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
        async with make_hub(cfg, tmp, plugins=[kassa_video]) as hub:
            (feed,) = list(hub.devices)
            for e in events:
                await hub.emit(Event(site="s1", kind=e["kind"], source_key=e["key"],
                                     occurred_at=datetime.fromisoformat(e["at"]),
                                     station="st1", order="9/1", amount=e["amount"]))
            while feed.accepted < len(events):
                await anyio.sleep(0.01)
            os._exit(9)  # on disk, never written out: the video system is off

    anyio.run(main)
""")


async def test_a_hub_killed_with_a_backlog_replays_it_once(sim: VideoSimulator,
                                                           tmp_path: Path) -> None:
    far = sim["text"]
    await far.pause()
    cfg = config(sim, "text")
    events = [{"kind": "drawer_opened", "key": f"d{i}", "amount": i,
               "at": (T0 + timedelta(seconds=i)).isoformat()} for i in range(20)]
    with anyio.fail_after(60):
        proc = await anyio.run_process(
            [sys.executable, "-c", KILLED_HUB, json.dumps(cfg), str(tmp_path),
             json.dumps(events)], check=False, stderr=subprocess.PIPE)
    assert proc.returncode == 9, proc.stderr.decode()[-2000:]
    async with make_hub(cfg, tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        (feed,) = list(hub.devices)
        assert feed.status().detail["backlog"] == len(events)
        await far.resume()
        await wait_for(lambda: len(far.records) == len(events))
        await wait_for(lambda: feed.backlog == 0)
    assert [r.fields["detail"] for r in far.records] == [
        f"0.{i:02d}" for i in range(20)]
    assert far.duplicates() == [] and far.flags == []


async def test_an_order_taken_at_one_station_and_paid_at_another(sim: VideoSimulator,
                                                                 tmp_path: Path) -> None:
    far = sim["dssl"]
    cfg = config(sim, terminals={"st1": "cas_1", "waiter": "cas_1"})
    async with make_hub(cfg, tmp_path, plugins=[kassa_video], backoff=FAST) as hub:
        await hub.emit(ev("order_saved", 1, station="waiter", lines=[TEA]))
        await hub.emit(ev("order_saved", 2, station="waiter", lines=[BORSCH]))
        await hub.emit(ev("check_closed", 3, amount=105000, data={"payments": [
            {"currency": "Наличные", "amount": 105000}]}))
        await wait_for(lambda: len(far.records) == 5)
        assert far.kinds() == ["receipt_open", "line_add", "line_add", "payment",
                               "receipt_close"]
        assert [r.fields.get("position") for r in far.records[1:3]] == ["1", "2"]
        assert far.flags == []
