"""A reference card terminal (Sber-like: approve / decline, cancel before reconciliation,
refunds up to what was paid, suspended purchases with commit / rollback) and a reference
account payment (a ledger of holds). Both record every effect for ``lookup`` and never
deduplicate by themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from kassa import codec
from kassa.errors import Permanent, RetryLater, UserError
from kassa.model import (
    CardOperation,
    CardResult,
    DeviceStatus,
    Health,
    PaymentResult,
    PaymentStatus,
    Reconciliation,
    ReconciliationTotal,
)
from kassa.testing.fakes.far import FarEnd


class FakeTerminal:
    """``decline_next``: bank texts the next purchases are declined with. ``suspend``:
    purchases wait for commit / rollback. ``delay`` / ``answer_delay`` / ``drop_answers``
    / ``offline`` as on ``FakeRegister``."""

    def __init__(self, name: str = "fake-card", *, path: str | Path | None = None,
                 suspend: bool = False, delay: float = 0.0, answer_delay: float = 0.0,
                 terminal_id: str = "00000001") -> None:
        self.name = name
        self.far = FarEnd(path)
        self.suspend = suspend
        self.delay = delay
        self.answer_delay = answer_delay
        self.drop_answers = 0
        self.offline = False
        self.decline_next: list[str] = []
        self.terminal_id = terminal_id

    def effects(self, kind: str | None = None) -> int:
        """Operations the bank performed (declines are not effects: nothing moved)."""
        return len([e for e in self.far.effects(kind) if e[2].get("approved", True)])

    def charged(self) -> int:
        """Net kopecks taken from cards (purchases - cancels - refunds - rollbacks)."""
        sign = {"purchase": 1, "cancel": -1, "refund": -1, "rollback": -1}
        return sum(sign.get(k, 0) * b["amount"] for _, k, b in self.far.effects()
                   if b.get("approved"))

    async def purchase(self, amount: int, key: str, order_ref: str | None = None) -> CardResult:
        if amount <= 0:
            raise UserError(f"a card purchase needs a positive amount, not {amount}")
        declined = self.decline_next.pop(0) if self.decline_next else None
        return await self._act(key, CardOperation.PURCHASE, amount, declined=declined,
                               suspended=self.suspend and declined is None)

    async def cancel(self, original: CardResult, key: str) -> CardResult:
        st = self._state()
        if original.rrn is None or original.rrn not in st["open"]:
            raise UserError(f"no purchase with RRN {original.rrn} to cancel today")
        if st["open"][original.rrn]["reconciled"]:
            raise Permanent("the day is reconciled: refund the purchase instead of cancelling")
        return await self._act(key, CardOperation.CANCEL, original.amount, rrn=original.rrn)

    async def refund(self, amount: int, original: CardResult, key: str) -> CardResult:
        st = self._state()
        entry = st["open"].get(original.rrn or "")
        if entry is None:
            raise UserError(f"no purchase with RRN {original.rrn} to refund")
        if amount <= 0 or amount > entry["amount"] - entry["returned"]:
            raise UserError(f"refund of {amount} kopecks is more than is left to return"
                            f" ({entry['amount'] - entry['returned']})")
        return await self._act(key, CardOperation.REFUND, amount, rrn=original.rrn)

    async def commit(self, result: CardResult, key: str) -> CardResult:
        return await self._settle_suspended(result, key, CardOperation.COMMIT)

    async def rollback(self, result: CardResult, key: str) -> CardResult:
        return await self._settle_suspended(result, key, CardOperation.ROLLBACK)

    async def reconcile(self, key: str) -> Reconciliation:
        self._reachable()
        st = self._state()
        totals: dict[str, list[int]] = {}
        for _, kind, b in self.far.effects():
            if b.get("approved") and kind in ("purchase", "cancel", "refund"):
                t = totals.setdefault(kind, [0, 0])
                t[0] += 1
                t[1] += b["amount"]
        for entry in st["open"].values():
            entry["reconciled"] = True
        now = datetime.now(UTC)
        rows = tuple(ReconciliationTotal(operation=k, count=c, amount=a)
                     for k, (c, a) in sorted(totals.items()))
        rec = Reconciliation(slip=f"СВЕРКА ИТОГОВ\nТерминал {self.terminal_id}\n",
                             at=now, terminal_id=self.terminal_id,
                             totals=rows)
        self.far.record(key, "reconcile", {"approved": True, "amount": 0},
                        state=("terminal", st))
        return rec

    async def status(self) -> DeviceStatus:
        if self.offline:
            return DeviceStatus(health=Health.DOWN, message="the pin pad does not answer")
        return DeviceStatus(health=Health.OK)

    async def lookup(self, key: str) -> CardResult | None:
        self._reachable()
        body = self.far.find(key, ("purchase", "cancel", "refund", "commit", "rollback"))
        return None if body is None else codec.from_dict(body, CardResult)

    # --- the bank -------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return self.far.state("terminal", {"open": {}, "seq": 0})

    def _reachable(self) -> None:
        if self.offline:
            raise RetryLater(f"terminal {self.name} does not answer", after=5)

    async def _settle_suspended(self, result: CardResult, key: str,
                                op: CardOperation) -> CardResult:
        st = self._state()
        entry = st["open"].get(result.rrn or "")
        if entry is None or not entry["suspended"] or entry["amount"] != result.amount:
            raise Permanent(f"4140: no suspended purchase with RRN {result.rrn}"
                            f" for {result.amount} kopecks")
        return await self._act(key, op, result.amount, rrn=result.rrn)

    async def _act(self, key: str, op: CardOperation, amount: int, *,
                   declined: str | None = None, suspended: bool = False,
                   rrn: str | None = None) -> CardResult:
        self._reachable()
        if self.delay:
            await anyio.sleep(self.delay)
        st = self._state()
        st["seq"] += 1
        now = datetime.now(UTC)
        approved = declined is None
        if op is CardOperation.PURCHASE and approved:
            rrn = f"{now:%y%j}{st['seq']:07d}"[:12].zfill(12)
            st["open"][rrn] = {"amount": amount, "returned": 0, "suspended": suspended,
                               "reconciled": False}
        elif rrn is not None:
            entry = st["open"][rrn]
            if op in (CardOperation.CANCEL, CardOperation.ROLLBACK):
                entry["returned"] = entry["amount"]
            elif op is CardOperation.REFUND:
                entry["returned"] += amount
            entry["suspended"] = False
        result = CardResult(
            operation=op, approved=approved, amount=amount, key=key,
            rcode="00" if approved else "05", message=declined, rrn=rrn,
            auth_code=f"{st['seq']:06d}" if approved else None, card_mask="220220******1234",
            card_type="MIR", terminal_id=self.terminal_id, txn_at=now,
            txn_number=str(st["seq"]), suspended=suspended,
            slip=f"{op.value.upper()}\n{amount / 100:.2f} RUB\n"
                 + ("ОДОБРЕНО" if approved else f"ОТКАЗ: {declined}"))
        self.far.record(key, op.value, result, state=("terminal", st))
        if self.answer_delay:
            await anyio.sleep(self.answer_delay)
        if self.drop_answers:
            self.drop_answers -= 1
            raise ConnectionError(f"terminal {self.name}: the link dropped before the answer")
        return result


class FakeAccount:
    """A ledger of accounts (kopecks) with holds: ``balances`` to start with."""

    def __init__(self, name: str = "fake-bonus", *, balances: dict[str, int] | None = None,
                 path: str | Path | None = None, delay: float = 0.0) -> None:
        self.name = name
        self.far = FarEnd(path)
        self.delay = delay
        self.drop_answers = 0
        if balances and not self.far.effects():
            self.far.put_state("ledger", {"balances": dict(balances), "holds": {}})

    def effects(self, kind: str | None = None) -> int:
        return len([e for e in self.far.effects(kind) if e[2]["status"] != "declined"])

    def _state(self) -> dict[str, Any]:
        return self.far.state("ledger", {"balances": {}, "holds": {}})

    async def balance(self, account: str) -> int:
        st = self._state()
        held = sum(h["amount"] for h in st["holds"].values()
                   if h["account"] == account and h["status"] == "authorized")
        return int(st["balances"].get(account, 0)) - int(held)

    async def hold(self, account: str, amount: int, key: str) -> PaymentResult:
        if amount <= 0:
            raise UserError(f"a hold needs a positive amount, not {amount}")
        st = self._state()
        if account not in st["balances"]:
            return await self._answer(key, "", PaymentStatus.DECLINED, amount, st,
                                      message=f"no account {account}")
        if await self.balance(account) < amount:
            return await self._answer(key, "", PaymentStatus.DECLINED, amount, st,
                                      message="not enough on the account")
        hid = f"h{len(st['holds']) + 1}"
        st["holds"][hid] = {"account": account, "amount": amount, "status": "authorized",
                            "captured": 0, "refunded": 0}
        return await self._answer(key, hid, PaymentStatus.AUTHORIZED, amount, st)

    async def capture(self, payment_id: str, amount: int | None, key: str) -> PaymentResult:
        st = self._state()
        h = self._hold(st, payment_id, "authorized")
        take = h["amount"] if amount is None else amount
        if not 0 < take <= h["amount"]:
            raise UserError(f"capture of {take} kopecks is more than hold {payment_id}")
        h.update(status="captured", captured=take)
        st["balances"][h["account"]] -= take
        return await self._answer(key, payment_id, PaymentStatus.CAPTURED, take, st)

    async def void(self, payment_id: str, key: str) -> PaymentResult:
        st = self._state()
        h = self._hold(st, payment_id, "authorized")
        h["status"] = "voided"
        return await self._answer(key, payment_id, PaymentStatus.VOIDED, h["amount"], st)

    async def refund(self, payment_id: str, amount: int, key: str) -> PaymentResult:
        st = self._state()
        h = self._hold(st, payment_id, "captured")
        if not 0 < amount <= h["captured"] - h["refunded"]:
            raise UserError(f"refund of {amount} kopecks is more than hold {payment_id} took")
        h["refunded"] += amount
        st["balances"][h["account"]] += amount
        return await self._answer(key, payment_id, PaymentStatus.REFUNDED, amount, st)

    async def lookup(self, key: str) -> PaymentResult | None:
        body = self.far.find(key)
        return None if body is None else codec.from_dict(body, PaymentResult)

    def _hold(self, st: dict[str, Any], payment_id: str, status: str) -> dict[str, Any]:
        h = st["holds"].get(payment_id)
        if h is None or h["status"] != status:
            raise UserError(f"no {status} hold {payment_id}")
        return h  # type: ignore[no-any-return]

    async def _answer(self, key: str, pid: str, status: PaymentStatus, amount: int,
                      st: dict[str, Any], message: str | None = None) -> PaymentResult:
        if self.delay:
            await anyio.sleep(self.delay)
        result = PaymentResult(id=pid, status=status, amount=amount, key=key, message=message,
                               created_at=datetime.now(UTC))
        self.far.record(key, status.value, result, state=("ledger", st))
        if self.drop_answers:
            self.drop_answers -= 1
            raise ConnectionError(f"ledger {self.name}: the link dropped before the answer")
        return result
