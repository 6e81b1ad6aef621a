"""Returns in any store, the centre's ledger on real PostgreSQL and its request/reply on the
machine's NATS (``nox -s integration``): no line is given back twice across stores, even by
two stores at once; a declined refund's claim is released; an unreserved return is claimed
at ingest and one that overdraws a line is a conflict; bad requests get one sentence."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import anyio
import pytest
import sqlalchemy as sa
from kassa.model import Operation, VatRate
from kassa_pos.chain import xreturns
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import apply, claim_t
from kassa_pos.engine import pay_tables
from kassa_pos.engine.values import Tender
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NATS = os.environ.get("KASSA_TEST_NATS_URL", "nats://127.0.0.1:4222")
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def engine(chain_engine: AsyncEngine) -> AsyncEngine:
    return chain_engine  # conftest.py: a fresh schema with the chain's tables


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


async def left(engine: AsyncEngine, check_id: str = "A-1") -> list[str]:
    async with engine.begin() as c:
        return [ln["left"] for ln in (await xreturns.find(c, check_id=check_id))["lines"]]


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
        # the centre's watch turns it into one danger alert for store C, told once
        told: set[str] = set()
        events = await xreturns.conflict_events(c, told)
        assert [(e.site, e.kind, e.order, e.severity.value) for e in events] == [
            ("C", "pos_return_conflict", "A-1", "danger")]
        assert await xreturns.conflict_events(c, told) == []


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


# -- the store's half: a till in store B returning what store A sold ------------------------

async def sell_in_a(tmp_path, engine):
    """Store A sells a check; its chain documents reach the centre (as the stream would
    carry them); returns its receipt."""
    from kassa_pos.chain import outbox

    from .test_pay import Parts, draft, line, ready

    (tmp_path / "A").mkdir()
    a = Parts(tmp_path / "A")
    async with a.hub() as hub:
        pay = await ready(hub)
        paid = await pay.pay(draft(line("A1", 10000, quantity=2), line("B2", 5000),
                                   check_id="a-1"),
                             [Tender(kind="card", amount=25000, terminal="card2")])
        await hub.store.write_sync(lambda c: outbox.number(c, "A", "s1"))
        async with hub.store.read() as c:
            rows = (await c.execute(sa.select(outbox.out_t.c.data))).scalars().all()
    await ingest(engine, *[ChainDoc.decode(r.encode()) for r in rows])
    return paid


async def store_b(tmp_path):
    from .test_pay import Parts

    (tmp_path / "B").mkdir()
    return Parts(tmp_path / "B")


async def returns_of(hub, policy=None):
    from kassa_pos.engine.pay import Payments
    from kassa_pos.engine.returns import Returns

    from .test_pay import CONFIG, ready

    await ready(hub)
    return Returns(hub, Payments(hub, CONFIG), site="s1",
                   centre=xreturns.Link(NATS, store="B", timeout=1.0), offline=policy)


async def centre_nc():
    nats = pytest.importorskip("nats")
    try:
        return await nats.connect(NATS, connect_timeout=2, max_reconnect_attempts=0)
    except Exception as exc:
        pytest.skip(f"no NATS at {NATS}: {exc}")


async def test_store_b_returns_store_as_check_through_the_centre(tmp_path, engine):
    from kassa_pos.chain.documents import build
    from kassa_pos.engine.returns import ReturnError, ReturnLine

    paid = await sell_in_a(tmp_path, engine)
    nc = await centre_nc()
    sub = await xreturns.serve(nc, engine)
    b = await store_b(tmp_path)
    try:
        async with b.hub() as hub:
            ret = await returns_of(hub)
            check_id = await ret.find(site="s1", qr=paid.document.qr)  # not B's: the centre's
            assert check_id == "a-1"
            assert [(n, q) for n, _name, q in await ret.returnable("a-1")] == [
                (0, Decimal(2)), (1, Decimal(1))]
            done = await ret.by_receipt("a-1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                        return_id="r1", till="t1", cashier="Петрова")
            # cash back at B (A's card is A's terminal's), a refund receipt on B's register
            assert done.total == 10000 and [rf.tender.kind for rf in done.refunds] == ["cash"]
            assert done.document.operation == Operation.SELL_REFUND
            assert b.reg.effects("receipt") == 1
            # the centre holds the unit: B cannot give back more than is left
            await ret.find(site="s1", qr=paid.document.qr)
            with pytest.raises(ReturnError) as err:
                await ret.by_receipt("a-1", [ReturnLine(line_no=0, quantity=Decimal(2))],
                                     return_id="r2", till="t1", cashier="Петрова")
            assert str(err.value) == ("Позицию «Товар A1» нельзя вернуть в количестве 2: "
                                      "продано 2, уже возвращено 1.")
            # store C takes the last unit after B looked: the centre, not B's copy, decides
            other = await centre_nc()
            await xreturns.Client(other, store="C").reserve("C:r1", "a-1", [(0, Decimal(1))])
            await other.close()
            with pytest.raises(ReturnError) as err:
                await ret.by_receipt("a-1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                     return_id="r3", till="t1", cashier="Петрова")
            assert str(err.value) == (
                "Центр сети отказал в возврате: По строке 1 можно вернуть не больше 0 "
                "(продано 2, уже возвращено 2).")
            assert b.reg.effects("receipt") == 1  # nothing printed for the refusals
            async with engine.begin() as c:
                await xreturns.release(c, key="C:r1")
            # the same return again: the same receipt, nothing reserved or printed twice
            again = await ret.by_receipt("a-1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                         return_id="r1", till="t1", cashier="Петрова")
            assert again.document == done.document and b.reg.effects("receipt") == 1
            # B's return document reaches the centre: its claim applied, not counted twice
            async with hub.store.read() as c:
                row = (await c.execute(sa.select(pay_tables.return_).where(
                    pay_tables.return_.c.status == "done"))).mappings().one()
            assert row["check_id"] is None  # not B's sale: B's own tables stay apart
            await ingest(engine, build("return", dict(row), store="B", seq=1))
            async with engine.begin() as c:
                status = dict((await c.execute(sa.select(claim_t.c.key,
                                                         claim_t.c.status))).all())
            assert status == {"pos:s1:t1:ret:r1": "applied", "C:r1": "released"}
            assert await left(engine, "a-1") == ["1", "1"]
            # B's stock got the unit back on its shelf
            from kassa_pos.stock.book import StockBook

            assert (await StockBook(hub, "s1").levels()).get("A1") == Decimal(1)
            await ret.centre.close()
    finally:
        await sub.unsubscribe()
        await nc.close()


async def test_the_centre_out_of_reach_refuses_or_accepts_by_policy(tmp_path, engine):
    from kassa_pos.chain.documents import build
    from kassa_pos.engine.returns import OfflinePolicy, ReturnError, ReturnLine
    from kassa_pos.engine.values import SaleLine

    paid = await sell_in_a(tmp_path, engine)
    nc = await centre_nc()
    sub = await xreturns.serve(nc, engine)
    b = await store_b(tmp_path)
    async with b.hub() as hub:
        ret = await returns_of(hub)
        await ret.find(site="s1", qr=paid.document.qr)  # found while the centre answers
        await sub.unsubscribe()  # then the link goes
        with pytest.raises(ReturnError) as err:
            await ret.by_receipt("a-1", [ReturnLine(line_no=1, quantity=Decimal(1))],
                                 return_id="r1", till="t1", cashier="Петрова")
        assert str(err.value) == "Без связи с центром возврат по чужому чеку не принимается."
        with pytest.raises(ReturnError) as err:
            await ret.find(site="s1", qr=paid.document.qr)
        assert err.value.code == "centre_offline"
        assert b.reg.effects("receipt") == 0
        # "accept" up to 100 ₽: by the receipt's QR, the goods typed in, cash back
        ret.offline = OfflinePolicy(accept=True, limit=10000)
        with pytest.raises(ReturnError) as err:
            await ret.find(site="s1", qr=paid.document.qr)
        assert "оформите возврат по QR-коду чека, не больше 100,00" in str(err.value)
        bread = SaleLine(item_code="B2", name="Товар B2", quantity=Decimal(1), price=5000,
                         amount=5000, vat=VatRate.VAT22)
        much = SaleLine(item_code="A1", name="Товар A1", quantity=Decimal(2), price=10000,
                        amount=20000, vat=VatRate.VAT22)
        with pytest.raises(ReturnError, match="не больше 100,00"):
            await ret.by_qr_offline(paid.document.qr, [much], till="t1", cashier="Петрова",
                                    return_id="r2")
        done = await ret.by_qr_offline(paid.document.qr, [bread], till="t1",
                                       cashier="Петрова", return_id="r3")
        assert done.total == 5000 and b.reg.effects("receipt") == 1
        # a second offline return of the same bread: the till cannot know
        await ret.by_qr_offline(paid.document.qr, [bread], till="t1", cashier="Петрова",
                                return_id="r4")
        await ret.centre.close()
        async with hub.store.read() as c:
            rows = (await c.execute(sa.select(pay_tables.return_).where(
                pay_tables.return_.c.status == "done").order_by(
                pay_tables.return_.c.created_at))).mappings().all()
    # the link is back: the documents arrive; the first fits A's sale, the second is a
    # conflict for a manager
    await ingest(engine, *[build("return", dict(r), store="B", seq=i + 1)
                           for i, r in enumerate(rows)])
    assert await left(engine, "a-1") == ["2", "0"]
    async with engine.begin() as c:
        flagged = await xreturns.conflicts(c)
    assert [(f["key"], f["sale"]) for f in flagged] == [(rows[1]["key"], "a-1")]
    await nc.close()


async def test_the_origin_store_asks_the_centre_too(tmp_path, engine):
    """Store A's own return of what store B already gave back is refused by the centre;
    another line goes through and is counted once at the centre."""
    from kassa_pos.chain import outbox
    from kassa_pos.engine.returns import ReturnError, ReturnLine

    from .test_pay import Parts, draft, line

    nc = await centre_nc()
    sub = await xreturns.serve(nc, engine)
    (tmp_path / "A").mkdir()
    a = Parts(tmp_path / "A")
    try:
        async with a.hub() as hub:
            ret = await returns_of(hub)
            await ret.payments.pay(draft(line("A1", 10000, quantity=2), line("B2", 5000),
                                         check_id="a-1"),
                                   [Tender(kind="card", amount=25000, terminal="card2")])
            # before the sale reached the centre: this store's ledger decides alone
            first = await ret.by_receipt("a-1", [ReturnLine(line_no=1, quantity=Decimal(1))],
                                         return_id="r0", till="t1", cashier="Петрова")
            assert first.total == 5000
            await hub.store.write_sync(lambda c: outbox.number(c, "A", "s1"))
            async with hub.store.read() as c:
                rows = (await c.execute(sa.select(outbox.out_t.c.data).order_by(
                    outbox.out_t.c.n))).scalars().all()
            await ingest(engine, *[ChainDoc.decode(r.encode()) for r in rows])
            assert await left(engine, "a-1") == ["2", "0"]  # the return claimed at ingest
            # store B took both milks back; A's till still thinks they are here
            other = await centre_nc()
            await xreturns.Client(other, store="B").reserve("B:r1", "a-1", [(0, Decimal(2))])
            await other.close()
            with pytest.raises(ReturnError) as err:
                await ret.by_receipt("a-1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                     return_id="r1", till="t1", cashier="Петрова")
            assert "Центр сети отказал в возврате: По строке 1" in str(err.value)
            # nothing moved, and A's own ledger has the milk back as returnable
            assert a.card2.effects("refund") == 1  # the bread's, before
            assert [q for _n, _name, q in await ret.returnable("a-1")] == [2, 0]
            await ret.centre.close()
    finally:
        await sub.unsubscribe()
        await nc.close()


@pytest.mark.skipif(shutil.which("nats-server") is None, reason="no nats-server")
async def test_the_request_crosses_a_real_leaf_link_and_its_cut(servers, engine):
    """The store asks its own leaf node; the centre answers on the hub: the leaf carries the
    request up and the answer down. The leaf killed: Offline at once; back: answered."""
    _hub, leaf, hub_url, store_url = servers
    nats = pytest.importorskip("nats")
    await ingest(engine, sale())
    centre = await nats.connect(hub_url, connect_timeout=2)
    await xreturns.serve(centre, engine)
    await centre.flush()
    link = xreturns.Link(store_url, store="S01", timeout=1.0)

    async def found():
        try:
            return await link.find(fn="9999078900012345", fd=41)
        except xreturns.Offline:
            return None  # the leaf's link to the hub still coming up
    for _ in range(100):
        if (answer := await found()) is not None:
            break
        await anyio.sleep(0.1)
    else:
        raise AssertionError("no answer through the leaf in 10 s")
    assert answer["check_id"] == "A-1"
    assert (await link.reserve("S01:r1", "A-1", [(0, Decimal(1))]))["status"] == "reserved"
    leaf.stop()
    with pytest.raises(xreturns.Offline):
        await link.reserve("S01:r2", "A-1", [(0, Decimal(1))])
    leaf.start()
    for _ in range(100):
        try:
            got = await link.reserve("S01:r2", "A-1", [(0, Decimal(1))])
            break
        except xreturns.Offline:
            await anyio.sleep(0.2)
    else:
        raise AssertionError("no answer after the leaf came back")
    assert got["status"] == "reserved" and await left(engine) == ["0", "0.75", "1"]
    await link.close()
    await centre.close()


async def test_the_centres_stock_levels_equal_the_stores_own(tmp_path, engine):
    """Stock documents go up with the sales and returns; the centre's levels, computed in
    PostgreSQL, equal what the store's own book says, and a redelivery changes nothing."""
    from kassa_pos.chain import outbox
    from kassa_pos.chain.ingest import stock_levels
    from kassa_pos.engine.pay import Payments
    from kassa_pos.engine.returns import ReturnLine, Returns
    from kassa_pos.stock.book import DocKind, StockDoc, StockLine

    from .test_pay import CONFIG, Parts, draft, line, ready
    from .test_stock import shop

    (tmp_path / "A").mkdir()
    a = Parts(tmp_path / "A")
    async with a.hub() as hub:
        await ready(hub)
        book = await shop(hub)  # the catalog knows A1 and W1
        await book.post(StockDoc(id="in-1", kind=DocKind.RECEIPT, counterpart="Молзавод",
                                 lines=(StockLine("A1", Decimal(10), 5000),
                                        StockLine("W1", Decimal("4.5")))), by="Ольга")
        pay = Payments(hub, CONFIG)
        await pay.pay(draft(line("A1", 10000, quantity=3), line("W1", 5000), check_id="a-1"),
                      [Tender(kind="cash", amount=35000)])
        await Returns(hub, pay).by_receipt("a-1", [ReturnLine(line_no=0, quantity=Decimal(1))],
                                           return_id="r1", till="t1", cashier="Петрова")
        await Returns(hub, pay).without_receipt(
            [line("W1", 5000, quantity="0.5")], site="s1", till="t1", cashier="Петрова",
            return_id="r2", confirmed_by="Ольга")  # goods back with no sale line: +0.5
        await book.post(StockDoc(id="off-1", kind=DocKind.WRITEOFF, reason="бой",
                                 lines=(StockLine("W1", Decimal("0.5")),)), by="Ольга")
        await book.post(StockDoc(id="count-1", kind=DocKind.COUNT,
                                 lines=(StockLine("A1", Decimal(7)),)), by="Ольга")
        own = await book.levels()
        await hub.store.write_sync(lambda c: outbox.number(c, "A", "s1"))
        async with hub.store.read() as c:
            rows = (await c.execute(sa.select(outbox.out_t.c.data).order_by(
                outbox.out_t.c.n))).scalars().all()
    docs = [ChainDoc.decode(r.encode()) for r in rows]
    assert sorted(d.kind for d in docs if d.kind != "audit") == [
        "return", "return", "sale", "stock", "stock", "stock"]
    await ingest(engine, *docs)
    await ingest(engine, *docs)  # a redelivery: nothing twice
    async with engine.begin() as c:
        centre = await stock_levels(c, store="A")
        one = await stock_levels(c, store="A", items=["W1"])
    # A1: 10 - 3 + 1, then counted 7; W1: 4.5 - 1 + 0.5 - 0.5
    assert own == {"A1": Decimal(7), "W1": Decimal("3.5")}
    assert centre == {"A": own} and one == {"A": {"W1": Decimal("3.5")}}
    # the console's back-office data, from the same tables
    from types import SimpleNamespace

    from kassa_pos.chain.lag import back_office

    assert await back_office(SimpleNamespace(engine=engine)) == {
        "conflicts": [], "stock": {"A": {"A1": "7", "W1": "3.5"}}}
