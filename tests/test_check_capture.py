"""hub.payments.capture_check: a method that settles a whole check (``CheckCapture``) gets
one journal entry for all of a check's holds, the same events as capture, the shared error
mapping; a method without it is refused (its caller captures hold by hold); after a crash
the start-up reconciliation asks ``lookup_check``."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from kassa import codec, hookimpl
from kassa.errors import UserError
from kassa.hookspecs.payments import AccountPayment, CheckCapture
from kassa.model import OrderLine, PaymentResult, PaymentStatus
from kassa.testing import eventually, make_hub
from kassa.testing.fakes import FakeAccount

pytestmark = pytest.mark.anyio
LINES = [OrderLine(code="1", name="Обед", quantity=Decimal(1), price=30000, amount=30000)]


class WholeCheck(FakeAccount):
    """The reference ledger plus ``CheckCapture``: one "check" effect per capture_check."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.checks: dict[str, list[PaymentResult]] = {}
        self.decline_next = ""
        self.lose_next = False

    async def capture_check(self, lines: Sequence[OrderLine],
                            captures: Sequence[tuple[str, int]], *, key: str
                            ) -> list[PaymentResult]:
        if self.decline_next:
            text, self.decline_next = self.decline_next, ""
            return [PaymentResult(id=pid, status=PaymentStatus.DECLINED, amount=a, key=key,
                                  message=text) for pid, a in captures]
        out = [await self.capture(pid, amount, key=f"{key}#{pid}") for pid, amount in captures]
        self.checks[key] = out
        if self.lose_next:
            self.lose_next = False
            raise ConnectionError("the answer was lost")
        return out

    async def lookup_check(self, key: str) -> list[PaymentResult] | None:
        return self.checks.get(key)


class Methods:
    def __init__(self, *methods: Any) -> None:
        self.methods = list(methods)

    @hookimpl
    def register_payment_methods(self, hub: Any) -> list[Any]:
        return self.methods


def config(*payments: str) -> dict[str, Any]:
    return {"sites": [{"code": "s1", "payments": list(payments or ["deposit"])}]}


async def kinds(hub: Any, kind: str) -> list[Any]:
    return [e for e in await hub.events(site="s1") if e.kind == kind]


async def captured_events(hub: Any) -> list[Any]:
    return [e for e in await hub.events(site="s1") if e.kind == "payment_captured"]


async def test_one_entry_for_the_check_one_event_per_hold(tmp_path):
    deposit = WholeCheck("deposit", balances={"a": 50000, "b": 50000})
    assert isinstance(deposit, CheckCapture) and isinstance(deposit, AccountPayment)
    async with make_hub(config(), tmp_path, plugins=[Methods(deposit)]) as hub:
        p = hub.payments
        ha = await p.hold("a", 20000, key="ha", site="s1", method="deposit")
        hb = await p.hold("b", 10000, key="hb", site="s1", method="deposit")
        assert p.captures_checks("deposit", site="s1")
        done = await p.capture_check(LINES, [(ha.id, 20000), (hb.id, 10000)], key="chk",
                                     site="s1", method="deposit")
        again = await p.capture_check(LINES, [(ha.id, 20000), (hb.id, 10000)], key="chk",
                                      site="s1", method="deposit")
        assert done == again and [r.amount for r in done] == [20000, 10000]
        assert len(deposit.checks) == 1 and deposit.effects("captured") == 2
        entry = await hub.journal.entry("chk")
        assert entry is not None and entry.kind == "capture_check" and entry.status == "done"
        assert codec.json_loads(entry.request)["captures"] == [[ha.id, 20000], [hb.id, 10000]]
        await eventually(lambda: captured_events(hub), hub=hub)
        events = await captured_events(hub)
        assert sorted(e.amount for e in events) == [10000, 20000]
        assert {e.data["key"] for e in events} == {f"chk#{ha.id}", f"chk#{hb.id}"}
        with pytest.raises(UserError, match="reused"):  # the same key, another check
            await p.capture_check(LINES, [(ha.id, 20000)], key="chk", site="s1",
                                  method="deposit")


async def test_a_method_without_it_is_refused_and_a_decline_is_a_user_error(tmp_path):
    deposit = WholeCheck("deposit", balances={"a": 50000})
    plain = FakeAccount("plain", balances={"a": 50000})
    async with make_hub(config("deposit", "plain"), tmp_path,
                        plugins=[Methods(deposit, plain)]) as hub:
        p = hub.payments
        assert not p.captures_checks("plain", site="s1")
        h = await p.hold("a", 1000, key="h", site="s1", method="plain")
        with pytest.raises(UserError, match="capture each hold"):
            await p.capture_check(LINES, [(h.id, 1000)], key="c", site="s1", method="plain")
        assert await hub.journal.entry("c") is None, "nothing journaled"
        with pytest.raises(UserError, match="at least one"):
            await p.capture_check(LINES, [], key="c0", site="s1", method="deposit")
        hd = await p.hold("a", 1000, key="hd", site="s1", method="deposit")
        deposit.decline_next = "Счёт закрыт"
        for _ in range(2):  # recorded: the same key gives the same decline
            with pytest.raises(UserError, match="Счёт закрыт"):
                await p.capture_check(LINES, [(hd.id, 1000)], key="cd", site="s1",
                                      method="deposit")
        assert deposit.checks == {}
        await eventually(lambda: kinds(hub, "payment_declined"), hub=hub)


async def test_after_a_crash_start_up_asks_lookup_check(tmp_path):
    deposit = WholeCheck("deposit", balances={"a": 50000}, path=tmp_path / "far.db")
    async with make_hub(config(), tmp_path, plugins=[Methods(deposit)]) as hub:
        h = await hub.payments.hold("a", 5000, key="h", site="s1", method="deposit")
        deposit.lose_next = True
        with pytest.raises(Exception):  # noqa: B017 (OutcomeUnknown: the answer was lost)
            await hub.payments.capture_check(LINES, [(h.id, 5000)], key="chk", site="s1",
                                             method="deposit")
        entry = await hub.journal.entry("chk")
        assert entry is not None and entry.status == "unknown"
    async with make_hub(config(), tmp_path, plugins=[Methods(deposit)]) as hub:  # restart
        async def reconciled() -> bool:
            e = await hub.journal.entry("chk")
            return e is not None and e.status == "done"

        await eventually(reconciled, hub=hub)
        entry = await hub.journal.entry("chk")
        assert entry is not None and entry.result is not None
        assert codec.loads(entry.result, list[PaymentResult]) == deposit.checks["chk"]
        done = await hub.payments.capture_check(LINES, [(h.id, 5000)], key="chk", site="s1",
                                                method="deposit")
        assert done == deposit.checks["chk"] and deposit.effects("captured") == 1
