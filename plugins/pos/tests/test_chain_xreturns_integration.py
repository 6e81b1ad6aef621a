"""Returns in any store, the centre's ledger on real PostgreSQL and its request/reply on the
machine's NATS (``nox -s integration``): no line is given back twice across stores, even by
two stores at once; a declined refund's claim is released; an unreserved return is claimed
at ingest and one that overdraws a line is a conflict; bad requests get one sentence."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import anyio
import pytest
from kassa_pos.chain import xreturns
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import apply, metadata
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NATS = os.environ.get("KASSA_TEST_NATS_URL", "nats://127.0.0.1:4222")
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG)
    try:
        async with admin.begin() as c:
            await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except Exception as exc:  # no server: the session needs one
        await admin.dispose()
        pytest.skip(f"no PostgreSQL at {PG}: {exc}")
    eng = create_async_engine(f"{PG}?options=-csearch_path%3D{schema}")
    async with eng.begin() as c:
        await c.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()
    async with admin.begin() as c:
        await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    await admin.dispose()


def sale(check_id: str = "A-1", store: str = "A", seq: int = 1) -> ChainDoc:
    lines = [("milk", "Молоко", "2"), ("cheese", "Сыр", "0.750"), ("bread", "Хлеб", "1")]
    body_lines = [{"line_no": i, "item_code": code, "quantity": q, "total": 10000, "bonus": 0,
                   "line": {"item_code": code, "quantity": q, "amount": 10000}}
                  for i, (code, _name, q) in enumerate(lines)]
    receipt = {"lines": [{"name": name, "quantity": q} for _c, name, q in lines]}
    return ChainDoc(doc_id=f"sale:{check_id}", store=store, till=f"{store}-T1", seq=seq,
                    kind="sale", at=T0,
                    body={"check_id": check_id, "till": f"{store}-T1", "number": 7,
                          "fn": "9999078900012345", "fd": 41, "total": 30000,
                          "lines": body_lines, "receipt": receipt, "issued_at": T0,
                          "cashier": "Иванова"})


def returned(key: str, store: str, seq: int, lines: list[tuple[int, str]],
             check_id: str = "A-1") -> ChainDoc:
    plan = {"check_id": check_id, "lines": [[n, q, 1000, 0] for n, q in lines],
            "receipt": {"lines": [], "cashier": {"name": "Петров"}}}
    return ChainDoc(doc_id=f"return:{key}", store=store, till=f"{store}-T1", seq=seq,
                    kind="return", at=T0 + timedelta(hours=seq),
                    body={"key": key, "check_id": check_id, "plan": plan})


async def ingest(engine: AsyncEngine, *docs: ChainDoc) -> None:
    for d in docs:
        async with engine.begin() as c:
            await apply(c, d)


async def reserve(engine: AsyncEngine, key: str, store: str, lines, check_id: str = "A-1"):
    async with engine.begin() as c:
        return await xreturns.reserve(c, key=key, check_id=check_id, store=store, lines=lines)


async def left(engine: AsyncEngine) -> list[str]:
    async with engine.begin() as c:
        return [ln["left"] for ln in (await xreturns.find(c, check_id="A-1"))["lines"]]


async def test_a_line_is_never_given_back_twice_across_stores(engine):
    await ingest(engine, sale())
    async with engine.begin() as c:
        found = await xreturns.find(c, fn="9999078900012345", fd=41)  # as the QR names it
    assert found["store"] == "A" and found["check_id"] == "A-1"
    assert [(ln["name"], ln["sold"], ln["left"]) for ln in found["lines"]] == [
        ("Молоко", "2", "2"), ("Сыр", "0.75", "0.75"), ("Хлеб", "1", "1")]
    assert await reserve(engine, "B:r1", "B", [(0, "1")]) == {"key": "B:r1",
                                                              "status": "reserved"}
    # the same key again: the same answer, nothing counted twice
    assert (await reserve(engine, "B:r1", "B", [(0, "1")]))["status"] == "reserved"
    with pytest.raises(xreturns.Refused) as err:
        await reserve(engine, "C:r1", "C", [(0, "2")])
    assert err.value.text() == ("По строке 1 можно вернуть не больше 1 (продано 2, уже "
                                "возвращено 1).")
    assert err.value.text("en").startswith("At most 1 of line 1 can be returned")
    assert await left(engine) == ["1", "0.75", "1"]
    with pytest.raises(xreturns.Refused, match="other lines"):
        await reserve(engine, "B:r1", "B", [(0, "1"), (2, "1")])
    for bad, code in (([(5, "1")], "no_line"), ([(0, "0")], "bad_quantity"),
                      ([(0, "x")], "bad_request"), ([], "bad_request")):
        with pytest.raises(xreturns.Refused) as err:
            await reserve(engine, "C:r2", "C", bad)
        assert err.value.code == code
    with pytest.raises(xreturns.Refused) as err:
        await reserve(engine, "C:r3", "C", [(0, "1")], check_id="nope")
    assert err.value.text() == "Чек не найден в продажах сети."
    # a declined refund gives the claim back; the key cannot be used again
    async with engine.begin() as c:
        assert (await xreturns.release(c, key="B:r1"))["released"] is True
    assert await left(engine) == ["2", "0.75", "1"]
    with pytest.raises(xreturns.Refused, match="cancelled"):
        await reserve(engine, "B:r1", "B", [(0, "1")])


async def test_two_stores_returning_the_same_line_at_once_one_wins(engine):
    await ingest(engine, sale())
    results: dict[str, object] = {}

    async def one(store: str) -> None:
        try:
            results[store] = await reserve(engine, f"{store}:r", store, [(1, "0.750")])
        except xreturns.Refused as exc:
            results[store] = exc.code

    for _ in range(3):  # several rounds: the lock, not the timing, decides
        results.clear()
        async with anyio.create_task_group() as tg:
            for store in ("B", "C", "D"):
                tg.start_soon(one, store)
        assert sorted(str(v) if isinstance(v, str) else "won" for v in results.values()) == [
            "too_much", "too_much", "won"]
        async with engine.begin() as c:
            for store in ("B", "C", "D"):
                await xreturns.release(c, key=f"{store}:r")
        async with engine.begin() as c:
            await c.exec_driver_sql("DELETE FROM pos_chain_claim_line")
            await c.exec_driver_sql("DELETE FROM pos_chain_claim")


async def test_ingested_returns_apply_their_claims_and_flag_an_overdraw(engine):
    await ingest(engine, sale())
    await reserve(engine, "B:r1", "B", [(0, "1")])
    # B's document arrives: its claim is applied, not counted again
    await ingest(engine, returned("B:r1", "B", 1, [(0, "1")]))
    assert await left(engine) == ["1", "0.75", "1"]
    # the origin store's own return, never reserved centrally: claimed at ingest
    await ingest(engine, returned("A:r1", "A", 2, [(2, "1")]))
    assert await left(engine) == ["1", "0.75", "0"]
    # a store offline accepted the same bread again: the money moved, a manager decides
    await ingest(engine, returned("C:r1", "C", 1, [(2, "1")]))
    async with engine.begin() as c:
        flagged = await xreturns.conflicts(c)
    assert [(f["key"], f["store"], f["sale"]) for f in flagged] == [("C:r1", "C", "A-1")]
    # a redelivery changes nothing
    await ingest(engine, returned("C:r1", "C", 1, [(2, "1")]))
    async with engine.begin() as c:
        assert len(await xreturns.conflicts(c)) == 1


async def test_request_reply_over_nats(engine):
    nats = pytest.importorskip("nats")
    try:
        centre = await nats.connect(NATS, connect_timeout=2, max_reconnect_attempts=0)
        store = await nats.connect(NATS, connect_timeout=2, max_reconnect_attempts=0)
    except Exception as exc:
        pytest.skip(f"no NATS at {NATS}: {exc}")
    try:
        client = xreturns.Client(store, store="B", timeout=1.0)
        with pytest.raises(xreturns.Offline) as off:  # nobody answers yet
            await client.find(check_id="A-1")
        assert off.value.text().startswith("Нет связи с центром")
        await ingest(engine, sale())
        sub = await xreturns.serve(centre, engine)
        await centre.flush()
        found = await client.find(fn="9999078900012345", fd=41)
        assert found["check_id"] == "A-1" and len(found["lines"]) == 3
        assert (await client.reserve("B:r1", "A-1", [(0, Decimal(2))]))["status"] == "reserved"
        with pytest.raises(xreturns.Refused) as err:
            await client.reserve("B:r2", "A-1", [(0, Decimal(1))])
        assert err.value.code == "too_much" and err.value.params["left"] == "0"
        assert (await client.release("B:r1"))["released"] is True
        # a malformed request: one sentence back, the responder goes on
        msg = await store.request(f"{xreturns.SUBJECT}.reserve", b"{not json", timeout=1)
        assert json.loads(msg.data)["error"] == "bad_request"
        msg = await store.request(f"{xreturns.SUBJECT}.reserve", b'{"key": "k"}', timeout=1)
        assert json.loads(msg.data)["error"] == "bad_request"
        assert (await client.find(check_id="A-1"))["lines"][0]["left"] == "2"
        await sub.unsubscribe()
    finally:
        await store.close()
        await centre.close()
