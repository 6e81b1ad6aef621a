"""AtolOnlineRegister against the simulator over a real socket: a crash between "sent" and
"answered", the token expiring mid-run, 429 / 5xx / outages, fail reports, corrections,
bad receipts and the calls a cloud register cannot make."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest
from kassa.errors import Permanent, RetryLater, UserError
from kassa.journal import DONE, UNKNOWN, Journal
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    CorrectionType,
    DocumentKind,
    Operation,
    PaymentKind,
    Receipt,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa.serving import AsgiServer, read_body
from kassa.serving import respond_json as respond
from kassa.store import Store
from kassa.testing.contracts.fiscal import sample_receipt
from kassa_atol.online import AtolOnlineRegister, OnlineSettings, codes
from kassa_atol.online.client import Unanswered
from kassa_atol.online.sim import AtolOnlineSimulator

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@attrs.define
class World:
    sim: AtolOnlineSimulator
    cfg: OnlineSettings
    clock: Clock
    tmp: Path
    regs: list[AtolOnlineRegister] = attrs.field(factory=list)

    def register(self, **changes: Any) -> AtolOnlineRegister:
        reg = AtolOnlineRegister("cloud", attrs.evolve(self.cfg, **changes), self.clock)
        self.regs.append(reg)
        return reg

    def posts(self, op: str = "sell") -> int:
        return sum(1 for m, p in self.sim.requests if m == "POST" and p.endswith("/" + op))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    clock = Clock()
    sim = AtolOnlineSimulator(clock=clock, hang_seconds=0.6)
    fragment = await sim.start()
    cfg = OnlineSettings(**fragment["atol"]["online"][0],
                         state_file=str(tmp_path / "sent.jsonl"), request_timeout=0.3,
                         poll_interval=0.01, wait_timeout=2, lookup_timeout=2, retries=2,
                         retry_delay=0.01)
    w = World(sim, cfg, clock, tmp_path)
    yield w
    for reg in w.regs:
        await reg.stop()
    await sim.stop()


def receipt(total: int = 15000, **changes: Any) -> Receipt:
    return attrs.evolve(sample_receipt(total), customer_contact="+79161234567", **changes)


# --- identity and reconciliation -------------------------------------------------------
async def test_crash_after_the_request_was_taken_is_found_after_restart(world: World) -> None:
    store = Store(f"sqlite+aiosqlite:///{world.tmp / 'hub.db'}")
    await store.prepare()
    journal = Journal(store, now=world.clock.now)
    first = world.register()
    world.sim.hang = 1  # ATOL takes the receipt; its answer is lost
    r = receipt()
    with pytest.raises(RetryLater):
        await journal.run("sale-1", component="cloud", concern="fiscal", kind="receipt",
                          site="s1", station=None, request=r,
                          call=lambda: first.receipt(r, key="sale-1"), lookup=first.lookup,
                          result_type=object)
    assert (await journal.entry("sale-1")).status == UNKNOWN  # type: ignore[union-attr]
    await first.stop()
    # the process restarts: a new register reads the same sent log
    again = world.register()
    counts = await journal.reconcile_all({"cloud": again.lookup})
    assert counts.get("done") == 1, counts
    assert (await journal.entry("sale-1")).status == DONE  # type: ignore[union-attr]
    assert len(world.sim.docs) == 1 and world.sim.effects() == 1, "exactly one document"
    assert world.posts() == 2, "lookup asked with the same external_id (answered by 33)"
    await store.close()


async def test_a_request_that_never_left_is_made_once_by_lookup(world: World) -> None:
    reg = world.register()
    world.sim.outage = True  # the process "died" with the intent written, nothing arrived
    with pytest.raises(RetryLater):
        await reg.receipt(receipt(), key="k1")
    assert not world.sim.docs
    world.sim.outage = False
    doc = await world.register().lookup("k1")
    assert doc is not None and doc.total == 15000
    assert world.sim.effects() == 1


async def test_same_key_after_a_fail_gets_a_new_external_id(world: World) -> None:
    reg = world.register()
    world.sim.fail_next(codes.PROCESSING_FAILED, "ФН не отвечает")
    with pytest.raises(RetryLater, match="ФН не отвечает"):
        await reg.receipt(receipt(), key="k1")
    assert await reg.lookup("k1") is None, "a fail made nothing"
    doc = await reg.receipt(receipt(), key="k1")
    assert doc.detail["external_id"] == "k1.2"
    assert [d.status for d in world.sim.docs.values()] == ["fail", "done"]


async def test_still_waiting_is_unknown_then_found(world: World) -> None:
    world.sim.process_delay = 120  # simulated seconds
    reg = world.register(wait_timeout=0.1, lookup_timeout=0.1)
    with pytest.raises(Unanswered):
        await reg.receipt(receipt(), key="k1")
    with pytest.raises(RetryLater):
        await reg.lookup("k1")
    world.clock.advance(seconds=121)
    doc = await reg.lookup("k1")
    assert doc is not None and doc.kind == DocumentKind.RECEIPT
    assert world.posts() == 1, "with a uuid, lookup only reads the report"


async def test_unknown_key_is_none_without_asking(world: World) -> None:
    assert await world.register().lookup("nothing") is None
    assert world.sim.requests == []


# --- token -----------------------------------------------------------------------------
async def test_token_expiry_mid_run(world: World) -> None:
    reg = world.register()
    one = await reg.receipt(receipt(), key="k1")
    world.clock.advance(hours=25)  # the 24 h token is old: renewed before the call
    two = await reg.receipt(receipt(), key="k2")
    world.sim.expire_tokens()  # revoked early: the 401 renews it once
    three = await reg.receipt(receipt(), key="k3")
    gets = [p for m, p in world.sim.requests if p.endswith("/getToken")]
    assert len(gets) == 3
    assert sum(1 for m, p in world.sim.requests if m == "POST" and p.endswith("/sell")) == 4
    # the cloud closed shift 1 and opened shift 2 on its own (two FDs between receipts)
    assert (one.shift, two.shift, three.shift) == (1, 2, 2)
    assert one.number is not None and two.number == one.number + 3
    assert three.receipt_number == 2


async def test_wrong_password_is_permanent_and_status_says_so(world: World) -> None:
    reg = world.register(password="wrong")
    with pytest.raises(Permanent, match="логин или пароль"):
        await reg.receipt(receipt(), key="k1")
    st = await reg.status()
    assert not st.ready and st.message and "логин" in st.message
    assert "wrong" not in (st.message or "")
    asked = sum(1 for _, p in world.sim.requests if p.endswith("/getToken"))
    assert asked == 1, "a refused login is not asked again within a minute"
    world.clock.advance(seconds=61)
    await reg.status()
    assert sum(1 for _, p in world.sim.requests if p.endswith("/getToken")) == 2
    fixed = world.register()  # the password put right: the same key, the same external_id
    doc = await fixed.receipt(receipt(), key="k1")
    assert doc.detail["external_id"] == "k1" and world.sim.effects() == 1


async def test_duplicate_without_a_uuid_stays_unknown(world: World) -> None:
    class NoUuidOn33(httpx.AsyncBaseTransport):
        """A far end that answers 33 without saying which uuid (not seen; guarded)."""

        def __init__(self) -> None:
            self.inner = httpx.AsyncHTTPTransport()

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            resp = await self.inner.handle_async_request(request)
            await resp.aread()
            data = json.loads(resp.content or b"{}")
            if isinstance(data, dict) and (data.get("error") or {}).get("code") == 33:
                data.pop("uuid", None)
            return httpx.Response(resp.status_code, json=data)

        async def aclose(self) -> None:
            await self.inner.aclose()

    await world.register().receipt(receipt(), key="k1")
    reg = AtolOnlineRegister("cloud", world.cfg, world.clock, transport=NoUuidOn33())
    world.regs.append(reg)
    sent = reg.sent.get("k1")
    assert sent is not None
    reg.sent.put(attrs.evolve(sent, uuid=None, state="sending"))  # as if the answer was lost
    with pytest.raises(RetryLater):
        await reg.lookup("k1")  # 33 without a uuid: which document is unknown
    assert (reg.sent.get("k1") or sent).state == "sending", "never marked failed"
    assert world.sim.effects() == 1


async def test_unknown_group_is_permanent(world: World) -> None:
    with pytest.raises(Permanent, match="nosuch"):
        await world.register(group_code="nosuch").receipt(receipt(), key="k1")


# --- 429 / 5xx / outage ----------------------------------------------------------------
async def test_429_is_retried_with_retry_after(world: World) -> None:
    reg = world.register()
    await reg.status()  # the token first: the faults hit the document POST
    world.sim.inject(429, 2, retry_after=0.02)
    doc = await reg.receipt(receipt(), key="k1")
    assert doc.total == 15000 and world.posts() == 3


async def test_a_long_retry_after_is_left_to_the_journal(world: World) -> None:
    reg = world.register()
    await reg.status()
    world.sim.inject(429, 1, retry_after=120)
    with pytest.raises(RetryLater) as err:
        await reg.receipt(receipt(), key="k1")
    assert err.value.after == 120 and world.posts() == 1
    doc = await reg.receipt(receipt(), key="k1")  # later: the same key, the same id
    assert doc.detail["external_id"] == "k1"


async def test_5xx_after_the_work_is_retried_into_one_document(world: World) -> None:
    reg = world.register()
    await reg.status()  # the token first: the fault hits the document POST
    world.sim.inject(500, 1, after_work=True)
    doc = await reg.receipt(receipt(), key="k1")
    assert world.posts() == 2 and world.sim.effects() == 1
    assert doc.detail["uuid"] == next(iter(world.sim.docs))


async def test_persistent_503_is_retry_later_and_nothing_is_made(world: World) -> None:
    reg = world.register()
    await reg.status()
    world.sim.inject(503, 10)
    with pytest.raises(RetryLater) as err:
        await reg.receipt(receipt(), key="k1")
    assert "недоступен" in str(err.value) and not world.sim.docs


async def test_persistent_500_leaves_the_outcome_unknown(world: World) -> None:
    reg = world.register()
    await reg.status()
    world.sim.inject(500, 10, after_work=True)
    with pytest.raises(Unanswered):
        await reg.receipt(receipt(), key="k1")
    world.sim.faults.clear()
    doc = await reg.lookup("k1")
    assert doc is not None and world.sim.effects() == 1


async def test_outage_status(world: World) -> None:
    world.sim.outage = True
    st = await world.register().status()
    assert not st.ready and st.shift_open


# --- what people read ------------------------------------------------------------------
async def test_receipt_without_contact_is_one_sentence_naming_the_field(world: World) -> None:
    bad = attrs.evolve(receipt(), customer_contact=None)
    with pytest.raises(UserError) as err:
        await world.register().receipt(bad, key="k1")
    text = str(err.value)
    assert "receipt.client" in text and "1008" in text
    assert text.endswith(".") and "\n" not in text and text.count(". ") == 0
    assert not world.sim.docs


async def test_vat_rate_not_valid_on_the_date_names_the_line(world: World) -> None:
    line = ReceiptLine(name="Чай", price=15000, quantity=1, total=15000, vat=VatRate.VAT20)
    bad = attrs.evolve(receipt(), lines=[line])
    with pytest.raises(UserError, match=r"receipt\.items\[0\]\.vat\.type"):
        await world.register(locale="en").receipt(bad, key="k1")


async def test_a_receipt_of_another_tax_system_is_refused(world: World) -> None:
    usn = attrs.evolve(receipt(), taxation=TaxSystem.USN_INCOME)
    with pytest.raises(UserError, match=r"usn_income.*osn"):
        await world.register(sno="osn").receipt(usn, key="k1")
    assert world.sim.requests == []
    doc = await world.register(sno="").receipt(usn, key="k2")
    sent = next(iter(world.sim.docs.values())).body["receipt"]["company"]
    assert sent["sno"] == "usn_income" and doc.total == 15000


async def test_a_zero_receipt_is_refused_before_sending(world: World) -> None:
    line = ReceiptLine(name="Подарок", price=1, quantity=Decimal("0.001"), total=0,
                       vat=VatRate.VAT22)
    zero = attrs.evolve(receipt(), lines=[line], total=0,
                        payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=100)])
    with pytest.raises(UserError, match="0,00"):
        await world.register().receipt(zero, key="k1")
    assert world.sim.requests == []


async def test_calls_a_cloud_register_cannot_make_are_permanent(world: World) -> None:
    reg = world.register(locale="en")
    cashier = Cashier(name="Ира")
    calls = [reg.cash_in(100, key="a"), reg.cash_out(100, key="b"),
             reg.open_shift(cashier, key="c"), reg.close_shift(cashier, key="d"),
             reg.x_report(key="e"), reg.print_text(["x"], key="f"),
             reg.check_marking("010460", 1)]
    for call in calls:
        with pytest.raises(Permanent, match="cloud register cannot"):
            await call
    assert world.sim.requests == []


# --- corrections, change, callback -----------------------------------------------------
def correction(operation: Operation = Operation.SELL, **changes: Any) -> CorrectionReceipt:
    line = ReceiptLine(name="Услуга", price=5000, quantity=2, total=10000, vat=VatRate.VAT22)
    base = CorrectionReceipt(
        correction_type=CorrectionType.INSTRUCTION, basis_date=date(2026, 2, 27),
        basis_number="12-34", operation=operation, taxation=TaxSystem.OSN,
        payments=[ReceiptPayment(kind=PaymentKind.ELECTRONIC, amount=10000)], total=10000,
        issued_at=T0, lines=[line])
    return attrs.evolve(base, **changes)


async def test_correction(world: World) -> None:
    reg = world.register()
    doc = await reg.correction(correction(), key="c1")
    assert doc.kind == DocumentKind.CORRECTION and doc.operation == Operation.SELL
    assert world.posts("sell_correction") == 1
    with pytest.raises(Permanent):
        await reg.correction(correction(Operation.SELL_REFUND), key="c2")
    with pytest.raises(UserError):
        await reg.correction(correction(lines=[]), key="c3")


async def test_change_is_not_sent_and_the_qr_reads(world: World) -> None:
    paid = attrs.evolve(receipt(), payments=[ReceiptPayment(kind=PaymentKind.CASH,
                                                            amount=20000)])
    doc = await world.register().receipt(paid, key="k1")
    sent = next(iter(world.sim.docs.values())).body["receipt"]
    assert sent["payments"] == [{"type": 0, "sum": 150.0}]
    assert doc.qr and f"i={doc.number}&fp={int(doc.fiscal_sign or 0)}&n=1" in doc.qr
    assert doc.detail["ofd_receipt_url"].startswith("https://")


async def test_callback_url_gets_the_report(world: World) -> None:
    got: list[bytes] = []

    async def receiver(scope: Any, receive: Any, send: Any) -> None:
        got.append(await read_body(receive))
        await respond(send, 200, {})

    server = AsgiServer(receiver)
    await server.start()
    try:
        reg = world.register(callback_url=f"http://127.0.0.1:{server.port}/atol")
        doc = await reg.receipt(receipt(), key="k1")
        for _ in range(200):
            if world.sim.callbacks:
                break
            await anyio.sleep(0.01)
        assert world.sim.callbacks and world.sim.callbacks[0]["status"] == "done"
        assert got and str(doc.number) in got[0].decode()
    finally:
        await server.stop()
