"""Hypothesis state machine over earn/spend/hold/capture/void/expire/refund/reverse/replay:
after every step the audit is clean, balances match a simple model, replays are identical."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from kassa_bonus.audit import audit
from kassa_bonus.guests import GuestBook
from kassa_bonus.ledger import Ledger
from kassa_bonus.store import LedgerError

from plugins.bonus.tests.conftest import FakeClock, bonus_store, make_store

amounts = st.integers(min_value=1, max_value=500)


class LedgerMachine(RuleBasedStateMachine):
    holds = Bundle("holds")
    ops = Bundle("ops")

    @initialize()
    def setup(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.TemporaryDirectory()
        self.clock = FakeClock()
        self.db = self.run(make_store(f"sqlite+aiosqlite:///{Path(self.dir.name) / 'l.db'}"))
        store = bonus_store(self.db, self.clock)
        self.ledger = self.run(Ledger.open(store))
        g = self.run(GuestBook(store).register("t", "g", name="x"))
        self.acc = self.run(GuestBook(store).account_of(g.guest, "bonus"))
        self.n = 0
        self.done: dict[str, tuple[Any, ...]] = {}  # key -> (call, outcome) for replays

    def teardown(self) -> None:
        if hasattr(self, "db"):
            self.run(self.db.close())
            self.loop.close()
            self.dir.cleanup()

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def key(self) -> str:
        self.n += 1
        return f"k{self.n}"

    def call(self, name: str, *args, **kw):
        key = self.key()
        try:
            out = self.run(getattr(self.ledger, name)("t", key, *args, **kw))
        except LedgerError as exc:
            return exc.code
        self.done[key] = (name, args, kw, out)
        return out

    @rule(target=ops, amount=amounts, days=st.sampled_from([None, 1, 5, 30]))
    def earn(self, amount, days):
        exp = self.clock.now() + timedelta(days=days) if days else None
        out = self.call("earn", self.acc, amount, expires_at=exp)
        return out.operation

    @rule(target=ops, amount=amounts)
    def spend(self, amount):
        out = self.call("spend", self.acc, amount)
        return out.operation if not isinstance(out, str) else "none"

    @rule(target=holds, amount=amounts)
    def hold(self, amount):
        out = self.call("hold", self.acc, amount, ttl=timedelta(days=2))
        return out.hold if not isinstance(out, str) else "none"

    @rule(h=holds, part=st.one_of(st.none(), amounts))
    def capture(self, h, part):
        self.call("capture", h, part)

    @rule(h=holds)
    def void(self, h):
        self.call("void", h)

    @rule(h=holds, amount=amounts)
    def refund(self, h, amount):
        self.call("refund", h, amount)

    @rule(op=ops)
    def reverse(self, op):
        self.call("reverse", op)

    @rule(days=st.integers(min_value=1, max_value=10))
    def time_passes(self, days):
        self.clock.advance(days=days)
        self.run(self.ledger.expire_holds(self.clock.now()))
        self.run(self.ledger.expire_lots(self.clock.now()))

    @rule(data=st.data())
    def replay(self, data):
        if not self.done:
            return
        key = data.draw(st.sampled_from(sorted(self.done)))
        name, args, kw, first = self.done[key]
        again = self.run(getattr(self.ledger, name)("t", key, *args, **kw))
        assert again == first

    @invariant()
    def books_are_sound(self):
        if not hasattr(self, "db"):
            return

        async def check():
            async with self.ledger.store.read() as conn:
                return await audit(conn)

        assert self.run(check()) == []
        row = self.run(self.ledger.account(self.acc))
        assert row.balance - row.held >= 0


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=8, stateful_step_count=30, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
