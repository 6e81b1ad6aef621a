"""kassa.journal: one effect per key, reconcile before retry, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import anyio
import pytest
from attrs import frozen
from kassa.errors import Permanent, RetryLater, UserError
from kassa.journal import DONE, FAILED, UNKNOWN, Journal
from kassa.store import Store

pytestmark = pytest.mark.anyio
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@frozen
class Doc:
    number: int
    total: int


@frozen
class Req:
    total: int
    lines: tuple[str, ...] = ()


class Far:
    """The far end: counts effects per key; scripted failures; remembers what it did."""

    def __init__(self) -> None:
        self.effects: list[str] = []
        self.done: dict[str, Doc] = {}
        self.fail: list[BaseException] = []
        self.fail_after_effect: list[BaseException] = []
        self.lookup_fails = False
        self.lookups = 0
        self.block: anyio.Event | None = None

    async def receipt(self, req: Req, key: str) -> Doc:
        if self.fail:
            raise self.fail.pop(0)
        if self.block is not None:
            await self.block.wait()
        self.effects.append(key)
        doc = Doc(number=len(self.effects), total=req.total)
        self.done[key] = doc
        if self.fail_after_effect:
            raise self.fail_after_effect.pop(0)
        return doc

    async def lookup(self, key: str) -> Doc | None:
        self.lookups += 1
        if self.lookup_fails:
            raise ConnectionError("register offline")
        return self.done.get(key)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
async def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite+aiosqlite:///{tmp_path / 'kassa.db'}")
        await s.prepare()
        yield s
        await s.close()
        return
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:10]}"
    eng = create_async_engine(PG)
    async with eng.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    await eng.dispose()
    s = Store(f"{PG}?options=-csearch_path%3D{schema}")
    await s.prepare()
    yield s
    await s.close()
    eng = create_async_engine(PG)
    async with eng.begin() as c:
        await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    await eng.dispose()


def now() -> datetime:
    return datetime.now(UTC)


async def receipt(j: Journal, far: Far, key: str, total: int = 100) -> Doc:
    req = Req(total=total, lines=("tea",))
    return await j.run(key, component="fr1", concern="fiscal", kind="receipt", site="s1",
                       station="t1", request=req, call=lambda: far.receipt(req, key),
                       lookup=far.lookup, result_type=Doc)


async def test_same_key_twice_one_effect_and_the_recorded_result(store):
    j, far = Journal(store, now=now), Far()
    first = await receipt(j, far, "k1")
    again = await receipt(j, far, "k1")
    assert first == again == Doc(number=1, total=100)
    assert far.effects == ["k1"] and far.lookups == 0
    e = await j.entry("k1")
    assert e is not None and e.status == DONE and e.attempts == 1
    assert e.site == "s1" and e.station == "t1" and e.created_at.tzinfo is not None
    # a fresh journal (a restart) on the same store still knows it
    assert await receipt(Journal(store, now=now), far, "k1") == first
    assert far.effects == ["k1"]


async def test_key_reused_for_a_different_request_is_refused(store):
    j, far = Journal(store, now=now), Far()
    await receipt(j, far, "k1", total=100)
    with pytest.raises(UserError, match="reused for a different request"):
        await receipt(j, far, "k1", total=200)
    assert far.effects == ["k1"]


async def test_definite_failures_are_failed_and_may_run_again(store):
    j, far = Journal(store, now=now), Far()
    far.fail = [Permanent("FN is full"), RetryLater("port busy"), UserError("shift over 24 h")]
    for exc in (Permanent, RetryLater, UserError):
        with pytest.raises(exc):
            await receipt(j, far, "k1")
        e = await j.entry("k1")
        assert e is not None and e.status == FAILED
    assert (await j.entry("k1")).error_code == "user_error"  # type: ignore[union-attr]
    doc = await receipt(j, far, "k1")
    assert doc.number == 1 and far.effects == ["k1"] and far.lookups == 0
    e = await j.entry("k1")
    assert e is not None and e.status == DONE and e.attempts == 4 and e.error is None


async def test_an_unexpected_error_leaves_unknown_and_a_retry_reconciles(store):
    """The register printed, then the link broke before the answer: no second receipt."""
    j, far = Journal(store, now=now), Far()
    far.fail_after_effect = [ConnectionResetError("link dropped")]
    with pytest.raises(RetryLater, match="unknown; reconcile first"):
        await receipt(j, far, "k1")
    assert [e.key for e in await j.unknown()] == ["k1"]
    doc = await receipt(j, far, "k1")
    assert doc == Doc(number=1, total=100)
    assert far.effects == ["k1"] and far.lookups == 1
    assert (await j.entry("k1")).status == DONE  # type: ignore[union-attr]
    assert await j.unknown() == []


async def test_unknown_with_no_record_at_the_far_end_runs_again(store):
    j, far = Journal(store, now=now), Far()
    far.fail = [ConnectionResetError("never arrived")]
    with pytest.raises(RetryLater):
        await receipt(j, far, "k1")
    assert far.effects == []
    assert (await receipt(j, far, "k1")).number == 1
    assert far.effects == ["k1"] and far.lookups == 1


async def test_lookup_failing_keeps_unknown_and_never_calls(store):
    j, far = Journal(store, now=now), Far()
    far.fail_after_effect = [TimeoutError()]
    with pytest.raises(RetryLater):
        await receipt(j, far, "k1")
    far.lookup_fails = True
    with pytest.raises(RetryLater, match="outcome of receipt k1 unknown; reconcile first"):
        await receipt(j, far, "k1")
    assert far.effects == ["k1"]
    assert (await j.entry("k1")).status == UNKNOWN  # type: ignore[union-attr]
    far.lookup_fails = False
    assert (await receipt(j, far, "k1")).number == 1 and far.effects == ["k1"]


async def test_no_lookup_means_unknown_is_never_retried(store):
    j, far = Journal(store, now=now), Far()
    far.fail_after_effect = [OSError("gone")]
    req = Req(total=1)

    async def run() -> Doc:
        return await j.run("k1", component="fr1", concern="fiscal", kind="receipt", site=None,
                           station=None, request=req, call=lambda: far.receipt(req, "k1"),
                           lookup=None, result_type=Doc)

    with pytest.raises(RetryLater):
        await run()
    with pytest.raises(RetryLater, match="cannot look calls up"):
        await run()
    assert far.effects == ["k1"]


async def test_cancellation_mid_call_leaves_unknown(store):
    j, far = Journal(store, now=now), Far()
    far.block = anyio.Event()
    with anyio.move_on_after(0.2):
        await receipt(j, far, "k1")
    e = await j.entry("k1")
    assert e is not None and e.status == UNKNOWN and e.error_code == "cancelled"
    far.block = None
    assert (await receipt(j, far, "k1")).number == 1 and far.lookups == 1


async def test_concurrent_calls_with_one_key_make_one_effect(store):
    j, far = Journal(store, now=now), Far()
    results: list[Doc] = []

    async def one() -> None:
        results.append(await receipt(j, far, "k1"))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(one)
    assert far.effects == ["k1"] and len(set(results)) == 1 and len(results) == 5
    assert j._locks == {}


async def test_recover_and_reconcile_all(store):
    """Start-up: pending rows of a dead process become unknown; reconcile_all settles them."""
    j, far = Journal(store, now=now), Far()
    far.block = anyio.Event()
    async with anyio.create_task_group() as tg:
        for k in ("a", "b", "c"):
            tg.start_soon(receipt, j, far, k)
        await anyio.sleep(0.3)
        # as if the process died here: the rows stay pending; a's effect happened meanwhile
        far.done["a"] = Doc(number=7, total=100)
        tg.cancel_scope.cancel()
    from kassa.store.tables import JournalRow
    from sqlalchemy import update
    async with store.write() as conn:  # a crash leaves pending, not unknown
        await conn.execute(update(JournalRow).values(status="pending"))
    j2 = Journal(store, now=now)
    left = await j2.recover()
    assert sorted(e.key for e in left) == ["a", "b", "c"]
    assert {e.status for e in left} == {UNKNOWN}
    counts = await j2.reconcile_all({"fr1": far.lookup})
    assert counts == {DONE: 1, FAILED: 2, UNKNOWN: 0}
    assert (await j2.entry("a")).result is not None  # type: ignore[union-attr]
    assert await j2.unknown() == []
    far.block = None
    assert (await receipt(j2, far, "a")) == Doc(number=7, total=100)
    assert (await receipt(j2, far, "b")).number == 1
    assert far.effects == ["b"]


async def test_none_result_round_trips(store):
    j = Journal(store, now=now)
    calls: list[int] = []

    async def call() -> None:
        calls.append(1)

    for _ in range(2):
        r: object = await j.run("p1", component="pr", concern="device", kind="print", site="s1",
                        station=None, request={"lines": ["x"]}, call=call,
                        lookup=None, result_type=type(None))
        assert r is None
    assert calls == [1]
