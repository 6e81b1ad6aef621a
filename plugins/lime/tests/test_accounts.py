"""Lime rights as an AccountPayment against the simulator over a socket: the core contract,
two cards in one check, Lime down mid-check, a crash between the payment and PutCheck."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from kassa.errors import RetryLater, UserError
from kassa.journal import Journal, OutcomeUnknown
from kassa.model import OrderLine, PaymentResult, PaymentStatus
from kassa.store import Store
from kassa.testing.contracts import AccountPaymentContract
from kassa_lime.accounts import LimeAccounts
from kassa_lime.kinds import Kind
from kassa_lime.sim import LimeSimulator

from plugins.lime.tests.conftest import (
    CARD_A,
    CARD_B,
    CARD_EXPIRED,
    close,
    lime,
    make_accounts,
    rights,
    settings_for,
)

pytestmark = pytest.mark.anyio


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SimBacked(LimeAccounts):
    """The component with its own simulator, started and stopped by the contract harness."""

    sim: LimeSimulator

    async def start(self) -> None:
        await self.sim.start()

    async def stop(self) -> None:
        await close(self)
        await self.sim.stop()


def sim_backed(tmp_path: Path) -> SimBacked:
    sim = LimeSimulator(port=free_port())
    settings = settings_for(sim, tmp_path)
    plain = make_accounts(settings)
    acc = SimBacked(settings, plain.client, plain.store)
    acc.sim = sim
    return acc


class TestLimeAccountPayment(AccountPaymentContract):
    make_method = staticmethod(sim_backed)
    account = CARD_A


def line(name: str, code: str, units: int, price: int) -> OrderLine:
    return OrderLine(code=code, name=name, quantity=Decimal(units), price=price,
                     amount=units * price)


async def test_two_cards_in_one_check_one_putcheck_split_per_line(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, _):
        a = await acc.hold(CARD_A, 20000, key="ha")
        b = await acc.hold(CARD_B, 15000, key="hb")
        lines = [line("Обед", "42", 1, 15000), line("Кофе", "43", 2, 10000),
                 line("Прокат", "44", 1, 5000)]  # 40000: 35000 from the cards, 5000 cash
        done = await acc.capture_check(lines, [(a.id, 20000), (b.id, 15000)], key="chk")
        assert [r.status for r in done] == [PaymentStatus.CAPTURED] * 2
        assert sim.model.put_checks == 1
        body = next(iter(sim.model.checks.values()))["body"]
        entries = body["entries"]
        assert [e["entry"]["goodTypeId"] for e in entries] == [42, 43, 44]
        assert [(p["amount"], p["transactionReference"]) for p in entries[1]["payments"]] == [
            ("50.00", "card:777/right:555"), ("150.00", "card:778/right:557")]
        assert entries[2]["payments"][0]["processingId"] == 1  # the cash part
        assert (entries[1]["entry"]["price"], entries[1]["entry"]["count"]) == ("100.00", 2)
        assert rights(sim, CARD_A)["Депозит"] == 480000
        assert rights(sim, CARD_B)["Депозит"] == 485000
        assert await acc.lookup_check("chk") == done
        assert await acc.lookup("chk") == done[0]  # a capture's question gets the first hold
        assert await acc.lookup_check("never") is None


async def test_a_hold_spreads_over_rights_and_skips_an_expired_one(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, _):
        assert await acc.balance(CARD_EXPIRED) == 500000, "the expired bonus does not count"
        assert await acc.balance(CARD_A) == 530000
        h = await acc.hold(CARD_A, 510000, key="h")
        assert await acc.balance(CARD_A) == 20000
        await acc.capture(h.id, None, key="c")
        assert rights(sim, CARD_A) == {"Депозит": 0, "Бонусы": 20000}
        payments = next(iter(sim.model.checks.values()))["body"]["entries"][0]["payments"]
        assert [p["transactionReference"] for p in payments] == ["card:777/right:555",
                                                                 "card:777/right:556"]
        only_bonus = await acc.hold(f"{CARD_A}#556", 30000, key="h2")
        assert only_bonus.status == PaymentStatus.DECLINED


async def test_lime_down_mid_check_nothing_charged_and_managers_told(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, alerts):
        a = await acc.hold(CARD_A, 10000, key="ha")
        sim.app.outage = True
        with pytest.raises(RetryLater) as err:
            await acc.hold(CARD_B, 10000, key="hb")
        assert str(err.value) == "Lime недоступен, оплата не проведена: попробуйте позже"
        assert alerts.kinds() == [Kind.UNREACHABLE]
        await acc.void(a.id, key="va")
        sim.app.outage = False
        assert rights(sim, CARD_A)["Депозит"] == 500000 and sim.model.put_checks == 0
        assert await acc.balance(CARD_A) == 530000
        assert alerts.kinds() == [Kind.UNREACHABLE, Kind.BACK]


async def test_a_silent_lime_is_retry_later_within_the_tills_timeout(tmp_path: Path) -> None:
    with socket.socket() as mute:  # accepts connections, never answers
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        sim = LimeSimulator()
        settings = settings_for(sim, tmp_path, timeout=0.3)
        settings.base_url = f"http://127.0.0.1:{mute.getsockname()[1]}"
        acc = make_accounts(settings)
        started = anyio.current_time()
        with pytest.raises(RetryLater):
            await acc.hold(CARD_A, 100, key="h")
        assert anyio.current_time() - started < 1.0
        await close(acc)


async def test_paid_while_lime_is_away_is_put_once_when_it_is_back(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, alerts):
        h = await acc.hold(CARD_A, 10000, key="h")
        sim.app.outage = True
        c = await acc.capture(h.id, None, key="c")  # the till's payment went through
        assert c.status == PaymentStatus.CAPTURED and sim.model.put_checks == 0
        assert Kind.CHECK_DELAYED in alerts.kinds()
        assert await acc.delivery.deliver() == 0
        sim.app.outage = False
        assert await acc.delivery.deliver() == 1
        assert await acc.delivery.deliver() == 0
        assert sim.model.put_checks == 1 and rights(sim, CARD_A)["Депозит"] == 490000
        assert Kind.CHECK_DELIVERED in alerts.kinds()


async def test_a_lost_putcheck_answer_is_not_a_second_check(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, _):
        h = await acc.hold(CARD_A, 10000, key="h")
        sim.app.drop = 1
        await acc.capture(h.id, None, key="c")
        assert sim.model.put_checks == 1 and acc.store.pending(), "in Lime, not confirmed"
        assert await acc.delivery.deliver() == 1  # same check id: Lime says it exists
        assert sim.model.put_checks == 1 and sim.model.put_attempts == 2
        assert not acc.store.pending()


async def test_crash_between_payment_and_putcheck_delivers_once_after_restart(
        tmp_path: Path) -> None:
    sim = LimeSimulator()
    await sim.start()
    settings = settings_for(sim, tmp_path)
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await store.prepare()
    journal = Journal(store, now=lambda: datetime.now(UTC))

    async def through(acc: LimeAccounts, kind: str, key: str, call: Any) -> PaymentResult:
        result: PaymentResult = await journal.run(
            key, component=acc.name, concern="payment", kind=kind, site="s1", station=None,
            request={"kind": kind}, call=call, lookup=acc.lookup, result_type=PaymentResult)
        return result

    acc = make_accounts(settings)
    h = await through(acc, "hold", "h1", lambda: acc.hold(CARD_A, 10000, key="h1"))
    sim.app.outage = True  # Lime away, and the process dies right after the capture commits
    acc.drop_answers = 1
    with pytest.raises(OutcomeUnknown):
        await through(acc, "capture", "c1", lambda: acc.capture(h.id, None, key="c1"))
    await close(acc)
    sim.app.outage = False

    again = make_accounts(settings)  # the restart: same files, new process state
    assert await journal.reconcile_all({again.name: again.lookup}) == {"done": 1, "failed": 0,
                                                                     "unknown": 0}
    replay = await through(again, "capture", "c1", lambda: again.capture(h.id, None, key="c1"))
    assert replay.status == PaymentStatus.CAPTURED
    assert sim.model.put_checks == 0
    assert await again.delivery.deliver() == 1
    assert await again.delivery.deliver() == 0
    assert sim.model.put_checks == 1 and rights(sim, CARD_A)["Депозит"] == 490000
    await close(again)
    await store.close()
    await sim.stop()


async def test_refund_is_a_return_check_after_its_sale(tmp_path: Path) -> None:
    async with lime(tmp_path) as (sim, acc, _):
        a = await acc.hold(CARD_A, 15000, key="ha")
        b = await acc.hold(CARD_B, 15000, key="hb")
        await acc.capture_check([line("Обед", "42", 2, 15000)],
                                [(a.id, 15000), (b.id, 15000)], key="chk")
        r = await acc.refund(b.id, 15000, key="rb")
        assert r.status == PaymentStatus.REFUNDED and sim.model.put_checks == 2
        ret = sim.model.checks[max(sim.model.checks)]
        assert ret["refund"] and ret["body"]["check"]["type"] == 1
        sold_id = next(iter(sim.model.entries))
        assert ret["body"]["entries"][0]["entry"]["returnCheckEntryId"] == sold_id
        assert rights(sim, CARD_B)["Депозит"] == 500000
        assert rights(sim, CARD_A)["Депозит"] == 485000
        with pytest.raises(Exception, match="вернуть больше"):
            await acc.refund(b.id, 1, key="rb2")


async def test_a_hold_lapses_and_stops_reserving(tmp_path: Path) -> None:
    async with lime(tmp_path, hold_minutes=30) as (_, acc, _):
        real = acc.now
        h = await acc.hold(CARD_A, 500000, key="h")
        assert await acc.balance(CARD_A) == 30000
        acc.now = lambda: real() + timedelta(minutes=31)
        assert await acc.balance(CARD_A) == 530000
        with pytest.raises(UserError, match="истекло"):
            await acc.capture(h.id, None, key="c")
        with pytest.raises(UserError, match="отменена"):
            acc.now = real
            await acc.void(h.id, key="v")
            await acc.void(h.id, key="v2")


async def test_putcheck_through_the_journal_lost_answer_then_once(tmp_path: Path) -> None:
    sim = LimeSimulator()
    await sim.start()
    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}")
    await store.prepare()
    journal = Journal(store, now=lambda: datetime.now(UTC))
    plain = make_accounts(settings_for(sim, tmp_path))
    acc = LimeAccounts(plain.settings, plain.client, plain.store, journal=journal, site="s1")
    h = await acc.hold(CARD_A, 10000, key="h")
    sim.app.drop = 1
    await acc.capture(h.id, None, key="c")
    entry = await journal.entry("lime:put:c")
    assert entry is not None and entry.status == "unknown"
    assert await acc.delivery.deliver() == 1
    entry = await journal.entry("lime:put:c")
    assert entry is not None and entry.status == "done" and entry.attempts == 2
    assert sim.model.put_checks == 1
    await close(acc)
    await store.close()
    await sim.stop()
