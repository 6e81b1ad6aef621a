"""The ledger's invariants, one test each (SQLite; PostgreSQL too with KASSA_TEST_PG_URL)."""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest
from kassa_bonus import schema
from kassa_bonus.audit import audit
from kassa_bonus.store import LedgerError
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

pytestmark = pytest.mark.anyio


async def _guest(book, key="g1", **kw):
    _, guests = book
    g = await guests.register("t", key, name="Anna", **kw)
    return g.guest, await guests.account_of(g.guest, "bonus")


async def _healthy(ledger):
    async with ledger.store.read() as conn:
        assert await audit(conn) == []


async def test_every_posting_balances_and_audit_is_clean(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e1", acc, 1000)
    await ledger.spend("t", "s1", acc, 300)
    async with ledger.store.read() as conn:
        e = schema.entry
        sums = (await conn.execute(select(e.c.posting_id, func.sum(e.c.amount))
                                   .group_by(e.c.posting_id))).all()
    assert len(sums) == 2 and all(s == 0 for _, s in sums)
    await _healthy(ledger)


async def test_overdraft_refused_by_code_and_by_database(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e1", acc, 100)
    with pytest.raises(LedgerError) as err:
        await ledger.spend("t", "s1", acc, 101)
    assert err.value.code == "insufficient_funds"
    with pytest.raises(IntegrityError):  # even a bug in code cannot overdraw
        async with ledger.store.write() as conn:
            await conn.execute(schema.account.update().where(schema.account.c.id == acc)
                               .values(balance=-1))
    assert (await ledger.account(acc)).balance == 100
    await _healthy(ledger)


async def test_credit_account_goes_negative_only_within_limit(book):
    ledger, guests = book
    g = await guests.register("t", "g", name="Corp", credit_limit=5000)
    acc = await guests.account_of(g.guest, "credit")
    out = await ledger.spend("t", "s1", acc, 5000)
    assert out.balance == -5000
    with pytest.raises(LedgerError, match="not enough"):
        await ledger.spend("t", "s2", acc, 1)
    await ledger.earn("t", "repay", acc, 2000)  # repayment
    assert (await ledger.account(acc)).balance == -3000
    await _healthy(ledger)


async def test_hold_partial_capture_releases_the_rest(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 1000)
    h = await ledger.hold("t", "h", acc, 800)
    with pytest.raises(LedgerError, match="not enough"):  # holds count against available
        await ledger.spend("t", "s", acc, 201)
    with pytest.raises(LedgerError) as err:
        await ledger.capture("t", "c0", h.hold, 801)
    assert err.value.code == "exceeds_hold"
    c = await ledger.capture("t", "c", h.hold, 500)
    row = await ledger.account(acc)
    assert (c.balance, row.balance, row.held) == (500, 500, 0)
    with pytest.raises(LedgerError) as err:
        await ledger.capture("t", "c2", h.hold)
    assert err.value.code == "hold_captured"
    await _healthy(ledger)


async def test_void_and_expiry_release_holds(book, clock):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 1000)
    h1 = await ledger.hold("t", "h1", acc, 300)
    h2 = await ledger.hold("t", "h2", acc, 300, ttl=timedelta(minutes=5))
    await ledger.void("t", "v1", h1.hold)
    clock.advance(minutes=6)
    with pytest.raises(LedgerError) as err:
        await ledger.capture("t", "c2", h2.hold)
    assert err.value.code == "hold_expired"
    assert await ledger.expire_holds(clock.now()) == 1
    row = await ledger.account(acc)
    assert (row.balance, row.held) == (1000, 0)
    with pytest.raises(LedgerError) as err:
        await ledger.void("t", "v2", h2.hold)
    assert err.value.code == "hold_expired"
    await _healthy(ledger)


async def test_replay_returns_original_and_other_params_are_refused(book):
    ledger, _ = book
    _, acc = await _guest(book)
    first = await ledger.earn("t", "e", acc, 100)
    await ledger.earn("t", "e2", acc, 50)
    again = await ledger.earn("t", "e", acc, 100)
    assert again == first  # the stored answer, balance as it was then
    with pytest.raises(LedgerError) as err:
        await ledger.earn("t", "e", acc, 101)
    assert err.value.code == "idempotency_key_reused"
    with pytest.raises(LedgerError):
        await ledger.spend("t", "e", acc, 100)
    assert (await ledger.account(acc)).balance == 150
    other_source = await ledger.earn("other", "e", acc, 100)  # keys are per source
    assert other_source.operation != first.operation


async def test_entries_are_append_only(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 100)
    for sql in ("UPDATE bonus_entry SET amount = 5", "DELETE FROM bonus_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with ledger.store.write() as conn:
                await conn.execute(text(sql))
    await ledger.spend("t", "s", acc, 10)
    with pytest.raises(DBAPIError, match="append-only"):
        async with ledger.store.write() as conn:
            await conn.execute(text("DELETE FROM bonus_lot_use"))


async def test_spend_oldest_expiry_first_and_expiry_voids_only_the_rest(book, clock):
    ledger, _ = book
    _, acc = await _guest(book)
    now = clock.now()
    await ledger.earn("t", "late", acc, 100, expires_at=now + timedelta(days=20))
    await ledger.earn("t", "soon", acc, 100, expires_at=now + timedelta(days=10))
    await ledger.earn("t", "never", acc, 100)
    await ledger.spend("t", "s", acc, 150)  # takes all of "soon", 50 of "late"
    clock.advance(days=15)
    assert await ledger.expire_lots(clock.now()) == []  # "soon" was fully spent
    clock.advance(days=10)
    out = await ledger.expire_lots(clock.now())
    assert [o.amount for o in out] == [50]
    assert (await ledger.account(acc)).balance == 100  # the never-expiring lot
    assert await ledger.expire_lots(clock.now()) == []  # a second run finds nothing
    await _healthy(ledger)


async def test_expiry_leaves_what_a_hold_reserves(book, clock):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 100, expires_at=clock.now() + timedelta(days=1))
    h = await ledger.hold("t", "h", acc, 70, ttl=timedelta(days=3))
    clock.advance(days=2)
    out = await ledger.expire_lots(clock.now())
    assert [o.amount for o in out] == [30]
    c = await ledger.capture("t", "c", h.hold)
    assert c.balance == 0
    await _healthy(ledger)


async def test_level_uses_earned_not_spendable(book):
    ledger, guests = book
    gid, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 5000)
    await ledger.spend("t", "s", acc, 5000)
    row = await ledger.account(acc)
    assert (row.balance, row.earned) == (0, 5000)
    guest = await guests.get(gid, levels=lambda earned: "silver" if earned >= 5000 else "base")
    assert guest.level == "silver"


async def test_reverse_takes_back_earned_restores_spent_never_twice(book, clock):
    ledger, _ = book
    _, acc = await _guest(book)
    exp = clock.now() + timedelta(days=30)
    await ledger.earn("t", "e0", acc, 1000, expires_at=exp)
    spent = await ledger.spend("t", "s", acc, 400)
    earned = await ledger.earn("t", "e1", acc, 50)
    await ledger.reverse("t", "r-s", spent.operation)
    r = await ledger.reverse("t", "r-e", earned.operation)
    assert r.balance == 1000
    assert (await ledger.account(acc)).earned == 1000
    with pytest.raises(LedgerError) as err:
        await ledger.reverse("t", "r-s2", spent.operation)
    assert err.value.code == "already_reversed"
    assert await ledger.reverse("t", "r-s", spent.operation)  # replay is fine
    clock.advance(days=31)
    out = await ledger.expire_lots(clock.now())  # restored points went back to their lot
    assert sum(o.amount for o in out) == 1000
    await _healthy(ledger)


async def test_reverse_earn_already_spent_writes_off_the_shortfall(book):
    ledger, _ = book
    _, acc = await _guest(book)
    e = await ledger.earn("t", "e", acc, 100)
    await ledger.spend("t", "s", acc, 80)
    r = await ledger.reverse("t", "r", e.operation)
    assert r.balance == 0 and r.detail["unrecovered"] == 80
    await _healthy(ledger)


async def test_partial_refunds_of_a_capture_add_up_to_at_most_captured(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 1000)
    h = await ledger.hold("t", "h", acc, 600)
    await ledger.capture("t", "c", h.hold, 500)
    await ledger.refund("t", "r1", h.hold, 200)
    await ledger.refund("t", "r2", h.hold, 300)
    with pytest.raises(LedgerError) as err:
        await ledger.refund("t", "r3", h.hold, 1)
    assert err.value.code == "exceeds_captured"
    assert (await ledger.account(acc)).balance == 1000
    await _healthy(ledger)


async def test_concurrent_spends_never_overdraw(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 1000)
    ok, refused = [], []

    async def attempt(i: int) -> None:
        try:
            ok.append(await ledger.spend("t", f"s{i}", acc, 100))
        except LedgerError as exc:
            refused.append(exc.code)

    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(attempt, i)
    assert len(ok) == 10 and set(refused) == {"insufficient_funds"}
    assert (await ledger.account(acc)).balance == 0
    await _healthy(ledger)


async def test_concurrent_replays_of_one_key_post_once(book):
    ledger, _ = book
    _, acc = await _guest(book)
    results = []

    async def attempt() -> None:
        results.append(await ledger.earn("t", "same", acc, 100))

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(attempt)
    assert len({r.operation for r in results}) == 1
    assert (await ledger.account(acc)).balance == 100


async def test_system_balances_are_their_entries_and_their_rows_are_never_updated(book):
    ledger, _ = book
    _, acc = await _guest(book)
    _, other = await _guest(book, "g2", phone="+79161234567")
    await ledger.earn("t", "e1", acc, 1000)
    await ledger.earn("t", "e2", other, 400)
    await ledger.spend("t", "s1", acc, 300)
    h = await ledger.hold("t", "h", other, 250)
    await ledger.capture("t", "c", h.hold, 200)
    assert await ledger.system_balances() == {
        "issued": -1400, "redeemed": 500, "expired": 0, "writeoff": 0, "deposits": 0,
        "settlement": 0}
    async with ledger.store.read() as conn:
        rows = (await conn.execute(select(schema.account.c.balance, schema.account.c.lock_version)
                                   .where(schema.account.c.kind == "system"))).all()
    assert rows and all(r == (0, 0) for r in rows)  # no posting queued on a system row
    await _healthy(ledger)


async def test_refused_holds_and_earns_say_why_and_change_nothing(book):
    ledger, _ = book
    _, acc = await _guest(book)
    await ledger.earn("t", "e", acc, 100)
    await ledger.hold("t", "h1", acc, 60)
    for key, account, amount, code in (("h2", acc, 41, "insufficient_funds"),
                                       ("h3", "nope", 1, "unknown_account"),
                                       ("h4", ledger.system["issued"], 1, "unknown_account")):
        with pytest.raises(LedgerError) as err:
            await ledger.hold("t", key, account, amount)
        assert err.value.code == code
    with pytest.raises(LedgerError) as err:
        await ledger.earn("t", "e2", ledger.system["redeemed"], 5)
    assert err.value.code == "unknown_account"
    assert (await ledger.hold("t", "h5", acc, 40)).status == "authorized"  # exactly what is left
    row = await ledger.account(acc)
    assert (row.balance, row.held, row.earned) == (100, 100, 100)
    await _healthy(ledger)
