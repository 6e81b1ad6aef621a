"""hub.payments.refund_check: a method that gives a whole check back at once (``CheckRefund``)
gets one journal entry for all of a check's holds and one ``payment_refunded`` event per
hold; a method without it is refused (its caller refunds hold by hold); after a crash the
start-up reconciliation asks ``lookup_check`` for a ``refund_check`` entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from kassa import codec, hookimpl
from kassa.errors import UserError
from kassa.hookspecs.payments import AccountPayment, CheckRefund
from kassa.model import PaymentResult
from kassa.testing import eventually, make_hub
from kassa.testing.fakes import FakeAccount

pytestmark = pytest.mark.anyio


class WholeReturn(FakeAccount):
    """The reference ledger plus ``CheckRefund``: one "return" per refund_check."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.returns: dict[str, list[PaymentResult]] = {}
        self.lose_next = False

    async def refund_check(self, refunds: Sequence[tuple[str, int]], *, key: str
                           ) -> list[PaymentResult]:
        st = self._state()
        for pid, amount in refunds:  # all or nothing: every refund checked first
            h = self._hold(st, pid, "captured")
            if not 0 < amount <= h["captured"] - h["refunded"]:
                raise UserError(f"refund of {amount} is more than hold {pid} took")
        out = [await self.refund(pid, amount, key=f"{key}#{pid}") for pid, amount in refunds]
        self.returns[key] = out
        if self.lose_next:
            self.lose_next = False
            raise ConnectionError("the answer was lost")
        return out

    async def lookup_check(self, key: str) -> list[PaymentResult] | None:
        return self.returns.get(key)


class Methods:
    def __init__(self, *methods: Any) -> None:
        self.methods = list(methods)

    @hookimpl
    def register_payment_methods(self, hub: Any) -> list[Any]:
        return self.methods


def config(*payments: str) -> dict[str, Any]:
    return {"sites": [{"code": "s1", "payments": list(payments or ["deposit"])}]}


async def refunded_events(hub: Any) -> list[Any]:
    return [e for e in await hub.events(site="s1") if e.kind == "payment_refunded"]


async def captured(hub: Any, *accounts: str, method: str = "deposit") -> list[PaymentResult]:
    out = []
    for a in accounts:
        h = await hub.payments.hold(a, 20000, key=f"h-{a}", site="s1", method=method)
        out.append(await hub.payments.capture(h.id, None, key=f"c-{a}", site="s1",
                                              method=method))
    return out


async def test_one_entry_for_the_return_one_event_per_hold(tmp_path):
    deposit = WholeReturn("deposit", balances={"a": 50000, "b": 50000})
    assert isinstance(deposit, CheckRefund) and isinstance(deposit, AccountPayment)
    async with make_hub(config(), tmp_path, plugins=[Methods(deposit)]) as hub:
        p = hub.payments
        ca, cb = await captured(hub, "a", "b")
        assert p.refunds_checks("deposit", site="s1")
        back = [(ca.id, 20000), (cb.id, 5000)]  # b in part
        done = await p.refund_check(back, key="ret", site="s1", method="deposit")
        again = await p.refund_check(back, key="ret", site="s1", method="deposit")
        assert done == again and [r.amount for r in done] == [20000, 5000]
        assert len(deposit.returns) == 1 and deposit.effects("refunded") == 2
        assert await deposit.balance("a") == 50000 and await deposit.balance("b") == 35000
        entry = await hub.journal.entry("ret")
        assert entry is not None and entry.kind == "refund_check" and entry.status == "done"
        assert codec.json_loads(entry.request)["refunds"] == [[ca.id, 20000], [cb.id, 5000]]
        await eventually(lambda: refunded_events(hub), hub=hub)
        events = await refunded_events(hub)
        assert sorted(e.amount for e in events) == [5000, 20000]
        assert {e.data["key"] for e in events} == {f"ret#{ca.id}", f"ret#{cb.id}"}
        with pytest.raises(UserError, match="reused"):  # the same key, another return
            await p.refund_check([(cb.id, 100)], key="ret", site="s1", method="deposit")
        with pytest.raises(UserError, match="more than"):  # b has 15000 left
            await p.refund_check([(cb.id, 15001)], key="ret2", site="s1", method="deposit")
        assert await deposit.balance("b") == 35000


async def test_a_method_without_it_is_refused(tmp_path):
    deposit = WholeReturn("deposit", balances={"a": 50000})
    plain = FakeAccount("plain", balances={"a": 50000})
    async with make_hub(config("deposit", "plain"), tmp_path,
                        plugins=[Methods(deposit, plain)]) as hub:
        p = hub.payments
        assert not p.refunds_checks("plain", site="s1")
        (c,) = await captured(hub, "a", method="plain")
        with pytest.raises(UserError, match="refund each hold"):
            await p.refund_check([(c.id, 1000)], key="r", site="s1", method="plain")
        assert await hub.journal.entry("r") is None, "nothing journaled"
        with pytest.raises(UserError, match="at least one"):
            await p.refund_check([], key="r0", site="s1", method="deposit")
        assert await plain.balance("a") == 30000


async def test_after_a_crash_start_up_asks_lookup_check(tmp_path):
    deposit = WholeReturn("deposit", balances={"a": 50000}, path=tmp_path / "far.db")
    async with make_hub(config(), tmp_path, plugins=[Methods(deposit)]) as hub:
        (c,) = await captured(hub, "a")
        deposit.lose_next = True
        with pytest.raises(Exception):  # noqa: B017 (OutcomeUnknown: the answer was lost)
            await hub.payments.refund_check([(c.id, 20000)], key="ret", site="s1",
                                            method="deposit")
        entry = await hub.journal.entry("ret")
        assert entry is not None and entry.status == "unknown"
    async with make_hub(config(), tmp_path, plugins=[Methods(deposit)]) as hub:  # restart
        async def reconciled() -> bool:
            e = await hub.journal.entry("ret")
            return e is not None and e.status == "done"

        await eventually(reconciled, hub=hub)
        entry = await hub.journal.entry("ret")
        assert entry is not None and entry.result is not None
        assert codec.loads(entry.result, list[PaymentResult]) == deposit.returns["ret"]
        done = await hub.payments.refund_check([(c.id, 20000)], key="ret", site="s1",
                                               method="deposit")
        assert done == deposit.returns["ret"] and deposit.effects("refunded") == 1
        assert await deposit.balance("a") == 50000
