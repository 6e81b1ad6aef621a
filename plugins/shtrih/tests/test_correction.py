"""FFD 1.2 correction receipts with items (fiscal.md §1.2, §1.4, §3.2): FF35 opens the
correction, FF46 items carry its 1054, FF0C puts 1173 and 1174 {1178, 1179}, FF45 closes it.
Raw frames written out by hand from the documented layouts (FSStartCorrectionReceipt.java,
§3.2's FF46 / FF45 rows, FSFindDocument.java), the emulator's rules on payloads, the driver
over TCP and the pty, and answers lost mid-correction reconciled to exactly one document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import SocketStream
from kassa.errors import UserError
from kassa.model import (
    Cashier,
    CorrectionReceipt,
    CorrectionType,
    DocumentKind,
    Operation,
    PaymentKind,
    ReceiptLine,
    ReceiptPayment,
    TaxSystem,
    VatRate,
)
from kassa_shtrih import commands as c
from kassa_shtrih.device import ShtrihRegister
from kassa_shtrih.link import ACK, decode_frame
from kassa_shtrih.sim import ShtrihSimulator
from kassa_shtrih.sim.fr import Register
from kassa_shtrih.sim.harness import SimRegister

CASHIER = Cashier(name="Иванова", inn="500100732259")
BASIS = date(2026, 3, 1)


def correction(*, lines: int = 2, op: Operation = Operation.SELL,
               kind: CorrectionType = CorrectionType.SELF, order: str | None = None,
               **kw: Any) -> CorrectionReceipt:
    items = [ReceiptLine(name="Чай", price=5000, quantity=1, total=5000, vat=VatRate.VAT22),
             ReceiptLine(name="Сахар", price=999, quantity="1.5", total=1499,
                         vat=VatRate.VAT10)][:lines]
    total = kw.pop("total", sum(i.total for i in items))
    return CorrectionReceipt(correction_type=kind, basis_date=BASIS, basis_number=order,
                             operation=op, taxation=TaxSystem.OSN, lines=items,
                             payments=[ReceiptPayment(kind=PaymentKind.CASH, amount=total)],
                             total=total, issued_at=datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
                             **kw)


# --- raw frames ------------------------------------------------------------------------
def frame(hex_payload: str) -> bytes:
    payload = bytes.fromhex(hex_payload)
    lrc = len(payload)
    for b in payload:
        lrc ^= b
    return bytes([0x02, len(payload)]) + payload + bytes([lrc])


FF35 = "FF35 1E000000"  # sysadmin password 30
FF46 = ("FF46 1E000000 01 40420F000000 8813000000 FFFFFFFFFF FFFFFFFFFF 01 01 04 01"
        " D7E0E9")  # 1 x 50.00, the register computes the sum, tax byte 0x01, "Чай" CP1251
FF0C_1173 = "FF0C 1E000000 9504 0100 00"  # 1173 = 0 (самостоятельно)
FF0C_1174 = "FF0C 1E000000 9604 0800 9A04 0400 8081A369"  # 1174 {1178 = 2026-03-01 UTC}
FF45 = "FF45 1E000000 8813000000" + "00" * 75 + "0000" + "00000000" + "01" + "00" * 40


def test_the_hand_written_frames_are_what_the_builders_make() -> None:
    assert frame(FF35) == bytes.fromhex("02 06 FF 35 1E 00 00 00 D2")
    assert bytes.fromhex(FF46) == c.operation_v2(30, op=1, qty=Decimal(1), price=5000,
                                                 total=None, tax_rate=1, dept=1, method=4,
                                                 obj=1, name="Чай")
    assert bytes.fromhex(FF0C_1174)[6:] == c.tlv(1174, c.correction_basis(BASIS, None))
    assert bytes.fromhex(FF45) == c.close_v2(30, [5000] + [0] * 15, tax_system=1)


@pytest.fixture
async def line() -> AsyncIterator[tuple[ShtrihSimulator, SocketStream]]:
    sim = ShtrihSimulator()
    await sim.start()
    stream = await anyio.connect_tcp("127.0.0.1", sim.port)
    try:
        yield sim, stream
    finally:
        await stream.aclose()
        await sim.stop()


async def exchange(stream: SocketStream, raw: bytes) -> bytes:
    await stream.send(raw)
    buf = bytearray()
    with anyio.fail_after(5):
        while len(buf) < 3 or len(buf) < 3 + buf[2] + 1:
            buf += await stream.receive()
    assert buf[0] == ACK
    await stream.send(bytes([ACK]))
    return decode_frame(bytes(buf[1:]))


@pytest.mark.anyio
async def test_raw_correction_with_an_item(line: tuple[ShtrihSimulator, SocketStream]) -> None:
    sim, s = line
    assert await exchange(s, frame("E0 01000000")) == bytes.fromhex("E0 00 01")
    assert await exchange(s, frame(FF35)) == bytes.fromhex("FF 35 00")
    assert sim.fr.mode & 0x0F == 8, "FF35 opens a document"
    assert await exchange(s, frame(FF46)) == bytes.fromhex("FF 46 00 01")
    assert await exchange(s, frame(FF0C_1173)) == bytes.fromhex("FF 0C 00")
    assert await exchange(s, frame(FF0C_1174)) == bytes.fromhex("FF 0C 00")
    assert await exchange(s, frame(FF45)) == bytes.fromhex("FF 45 00 0000000000")  # change 0
    got = await exchange(s, frame("FF0A 1E000000 02000000"))
    assert got[:5] == bytes.fromhex("FF 0A 00 1F 00")  # type 31, no OFD receipt yet
    found = c.found_document(got[3:])
    assert (found.number, found.operation, found.total) == (2, 1, 5000)
    stored = sim.fr.documents[2]
    assert stored.type == 31 and dict(stored.tlv)[1173] == b"\x00"
    assert stored.items[0]["name"] == "Чай" and stored.items[0]["total"] == 5000


@pytest.mark.anyio
async def test_raw_correction_without_its_basis_is_refused(
        line: tuple[ShtrihSimulator, SocketStream]) -> None:
    sim, s = line
    await exchange(s, frame("E0 01000000"))
    await exchange(s, frame(FF35))
    await exchange(s, frame(FF46))
    await exchange(s, frame(FF0C_1173))
    assert await exchange(s, frame(FF45)) == bytes.fromhex("FF 45 33")
    assert sim.fr.fd == 1 and sim.fr.doc is not None, "nothing fiscalised, still open"
    assert await exchange(s, frame("88 01000000")) == bytes.fromhex("88 00 01")
    assert sim.fr.doc is None and not sim.fr.receipts()


# --- the emulator's rules --------------------------------------------------------------
def err(fr: Register, payload: bytes) -> int:
    return c.answer(fr.execute(payload)).error


def opened() -> Register:
    fr = Register(clock=lambda: datetime(2026, 3, 2, 12, 0))
    assert err(fr, c.request(c.OPEN_SHIFT, 1)) == 0
    return fr


def item(op: int = 1) -> bytes:
    return c.operation_v2(30, op=op, qty=Decimal(1), price=5000, total=5000, tax_rate=1,
                          dept=1, method=4, obj=1, name="Чай")


def tag(t: int, value: bytes) -> bytes:
    return c.send_tlv(30, t, value)


def test_correction_tags_belong_to_a_correction_only() -> None:
    fr = opened()
    assert err(fr, item()) == 0
    assert err(fr, tag(1173, b"\x00")) == 0x33  # an ordinary receipt
    assert err(fr, c.request(c.CANCEL, 1)) == 0
    assert err(fr, c.request(c.CORRECTION_BEGIN, 30)) == 0
    assert err(fr, c.request(c.CORRECTION_BEGIN, 30)) == 0x4A  # one document at a time
    assert err(fr, item(op=2)) == 0
    assert err(fr, item(op=1)) == 0x49  # every line has the correction's 1054
    assert err(fr, tag(1173, b"\x02")) == 0x33  # 0 or 1
    assert err(fr, tag(1174, c.tlv(1178, b"\x00\x00"))) == 0x33  # unixtime is 4 bytes
    assert err(fr, tag(1174, c.tlv(1178, bytes(4))[:-1])) == 0x7E  # a length past the end
    assert err(fr, tag(1174, c.tlv(1178, bytes(4)) + c.tlv(1030, b"x"))) == 0x33
    assert err(fr, tag(1174, c.correction_basis(BASIS, "x" * 33))) == 0x33  # 1179 <= 32
    assert err(fr, c.correction(30, 5000, 1)) == 0x5E  # FF36 only right after FF35
    assert err(fr, c.close_v2(30, [5000] + [0] * 15, tax_system=1)) == 0x33  # no 1173/1174
    assert err(fr, tag(1173, b"\x01")) == 0
    assert err(fr, tag(1174, c.correction_basis(BASIS, None))) == 0
    assert err(fr, c.close_v2(30, [5000] + [0] * 15, tax_system=1)) == 0x33  # 1179 missing
    assert fr.fd == 1


def test_instruction_correction_with_its_order_is_made() -> None:
    fr = opened()
    for payload in (c.request(c.CORRECTION_BEGIN, 30), item(op=3), tag(1173, b"\x01"),
                    tag(1174, c.correction_basis(BASIS, "12-34/5"))):
        assert err(fr, payload) == 0
    assert err(fr, c.close_v2(30, [4000] + [0] * 15, tax_system=1)) == 0x45  # underpaid
    assert err(fr, c.close_v2(30, [5000] + [0] * 15, tax_system=1)) == 0
    d = fr.documents[2]
    assert (d.type, d.operation, d.total) == (31, 3, 5000)
    assert dict(c.parse_tlvs(dict(d.tlv)[1174]) or [])[1179] == b"12-34/5"
    assert fr.cash == -5000  # 1054 = 3 расход: cash went out


def test_ff36_answers_receipt_number_fd_and_fiscal_sign() -> None:
    fr = opened()
    assert err(fr, c.request(c.CORRECTION_BEGIN, 30)) == 0
    a = c.answer(fr.execute(c.correction(30, 5000, 1)))
    assert a.error == 0 and len(a.data) == 10  # FSPrintCorrectionReceipt.java: 2 + 4 + 4
    assert c.num(a.data[0:2]) == 1 and c.num(a.data[2:6]) == 2
    assert c.num(a.data[6:10]) == fr.documents[2].fiscal_sign
    assert err(fr, c.request(c.CORRECTION_BEGIN, 30)) == 0
    assert err(fr, c.correction(30, 0, 1)) == 0x8E  # a zero correction


# --- the driver over both transports ---------------------------------------------------
@pytest.mark.anyio
async def test_correction_with_items(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    doc = await reg.correction(correction(cashier=CASHIER, customer_contact="a@b.ru"),
                               key="c1")
    assert doc.kind == DocumentKind.CORRECTION and doc.total == 6499 and doc.number == 2
    assert doc.operation == Operation.SELL and doc.receipt_number == 1
    stored = reg.sim.fr.documents[2]
    assert stored.type == 31 and [i["total"] for i in stored.items] == [5000, 1499]
    assert [i["tax_rate"] for i in stored.items] == [0x01, 0x02]
    tags = dict(stored.tlv)
    assert tags[1173] == b"\x00" and tags[1008] == b"a@b.ru"
    basis = dict(c.parse_tlvs(tags[1174]) or [])
    assert basis == {1178: c.unixtime(BASIS)}


@pytest.mark.anyio
async def test_refund_correction_by_instruction(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    await reg.cash_in(10000, key="ci")
    doc = await reg.correction(correction(lines=1, op=Operation.SELL_REFUND,
                                          kind=CorrectionType.INSTRUCTION, order="ПР-17"),
                               key="c1")
    assert doc.operation == Operation.SELL_REFUND and doc.total == 5000
    tags = dict(reg.sim.fr.documents[2].tlv)
    assert tags[1173] == b"\x01"
    assert dict(c.parse_tlvs(tags[1174]) or [])[1179] == "ПР-17".encode("cp1251")
    assert reg.sim.fr.cash == 5000


@pytest.mark.anyio
async def test_correction_without_items_stays_the_simple_one(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    doc = await reg.correction(correction(lines=0, total=3000), key="c1")
    assert doc.kind == DocumentKind.CORRECTION and doc.total == 3000
    assert reg.sim.fr.documents[2].items == [{"name": "КОРРЕКЦИЯ", "total": 3000}]


@pytest.mark.anyio
async def test_a_refused_correction_line_is_one_sentence_and_leaves_nothing(
        reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    bad = correction(lines=1, op=Operation.SELL)
    bad = CorrectionReceipt(**{**{a: getattr(bad, a) for a in (
        "correction_type", "basis_date", "operation", "taxation", "payments", "total",
        "issued_at")}, "lines": [ReceiptLine(name="Чай", price=5000, quantity=1, total=5000,
                                              vat=VatRate.VAT20)]})
    with pytest.raises(UserError, match="1199"):
        await reg.correction(bad, key="c1")  # 20 % on a 22 % firmware: before any byte
    assert reg.sim.fr.doc is None and reg.sim.fr.fd == 1
    await reg.correction(correction(), key="c2")
    assert [d.type for d in reg.sim.fr.documents.values()] == [2, 31]


@pytest.mark.anyio
async def test_lost_answer_to_the_close_is_reconciled_to_exactly_one(
        reg: SimRegister, tmp_path: Path) -> None:
    """FF45 of the correction went through, its answer is lost, the process dies. A new
    driver with the same reconcile log finds the FD (type 31, sum, 1054): one document."""
    await reg.open_shift(CASHIER, key="o1")
    await reg.correction(correction(lines=1), key="c0")  # 5000: another sum
    reg.sim.drop_answer_to = c.CLOSE_V2
    with pytest.raises(ConnectionError):
        await reg.correction(correction(), key="c1")
    await reg.stop_link()
    fresh = ShtrihRegister(reg.cfg, tmp_path / "state")
    try:
        found = await fresh.lookup("c1")
        assert found is not None and found.kind == DocumentKind.CORRECTION
        assert found.total == 6499 and found.number == 3 and found.detail["reconciled"]
        assert await fresh.lookup("c1") == found  # recorded: no second trip to the FN
    finally:
        await fresh.stop()
    assert [d.type for d in reg.sim.fr.documents.values()] == [2, 31, 31]


@pytest.mark.anyio
async def test_lost_answer_mid_items_is_cancelled_then_made_once(reg: SimRegister) -> None:
    """The link breaks after an item of the correction: it stays open in the register
    (never fiscalised). lookup cancels it and says "nothing"; the retry makes one."""
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.drop_answer_to = c.SEND_TLV
    with pytest.raises(ConnectionError):
        await reg.correction(correction(), key="c1")
    assert reg.sim.fr.doc is not None and reg.sim.fr.doc.correction
    assert await reg.lookup("c1") is None
    assert reg.sim.fr.doc is None
    doc = await reg.correction(correction(), key="c1")
    assert doc.number == 2 and [d.type for d in reg.sim.fr.documents.values()] == [2, 31]


@pytest.mark.anyio
async def test_through_the_journal_a_lost_correction_is_made_once(reg: SimRegister,
                                                                 tmp_path: Path) -> None:
    """As the core runs it: the answer to FF45 is lost -> the journal marks the correction
    unknown; the retry with the same key reconciles through lookup, prints nothing more."""
    from kassa.journal import Journal, OutcomeUnknown
    from kassa.model import FiscalDocument
    from kassa.store import Store

    store = Store(f"sqlite+aiosqlite:///{tmp_path / 'j.db'}")
    await store.prepare()
    try:
        journal = Journal(store, now=lambda: datetime.now(UTC))
        corr = correction()

        async def run() -> FiscalDocument:
            return await journal.run("c1", component=reg.name, concern="fiscal",
                                     kind="correction", site="s1", station=None,
                                     request=corr, call=lambda: reg.correction(corr, "c1"),
                                     lookup=reg.lookup, result_type=FiscalDocument)

        await reg.open_shift(CASHIER, key="o1")
        reg.sim.drop_answer_to = c.CLOSE_V2
        with pytest.raises(OutcomeUnknown):
            await run()
        doc = await run()
        assert doc.kind == DocumentKind.CORRECTION and doc.detail["reconciled"]
        assert await run() == doc
        assert [d.type for d in reg.sim.fr.documents.values()] == [2, 31]
    finally:
        await store.close()


# --- firmware that does not show FF35 as mode 8 ----------------------------------------
def test_a_correction_only_the_fn_knows_is_dropped_with_ff08() -> None:
    fr = opened()
    fr.correction_begin = "fn"
    assert err(fr, c.request(c.CORRECTION_BEGIN, 30)) == 0
    assert fr.mode == 2, "the register's mode does not show it"
    assert c.fn_status(c.answer(fr.execute(c.request(c.FN_STATUS, 30))).data).document == 0x14
    assert err(fr, c.request(c.CANCEL, 1)) == 0x55
    assert err(fr, c.request(c.FN_CANCEL, 1)) == 0x4F  # sysadmin only
    assert err(fr, c.request(c.FN_CANCEL, 30)) == 0
    assert fr.doc is None and err(fr, c.request(c.FN_CANCEL, 30)) == 0x02
    assert err(fr, c.request(c.CORRECTION_BEGIN, 30)) == 0
    assert err(fr, item()) == 0 and fr.mode & 0x0F == 8, "an item makes it a document"


@pytest.mark.anyio
async def test_lost_answer_to_ff35_on_fn_only_firmware(reg: SimRegister) -> None:
    await reg.open_shift(CASHIER, key="o1")
    reg.sim.fr.correction_begin = "fn"
    reg.sim.drop_answer_to = c.CORRECTION_BEGIN
    with pytest.raises(ConnectionError):
        await reg.correction(correction(), key="c1")
    assert reg.sim.fr.doc is not None and reg.sim.fr.mode == 2
    assert await reg.lookup("c1") is None
    assert reg.sim.fr.doc is None, "lookup dropped it with FF08"
    reg.sim.drop_answer_to = c.CORRECTION_BEGIN
    with pytest.raises(ConnectionError):
        await reg.correction(correction(), key="c2")
    await reg.stop_link()
    sale = await reg.correction(correction(lines=1), key="c3")  # the next call clears it
    assert sale.number == 2 and [d.type for d in reg.sim.fr.documents.values()] == [2, 31]
