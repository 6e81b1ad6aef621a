"""FF0A, FF39 and FF40 field by field: the emulator's answers against frames written out from
the vendor's own layouts (``FSFindDocument.java`` + ``FSDocument.java`` /
``FSDocumentReceipt.java`` / ``FSOpenDayReport.java``, ``FSReadCommStatus.java``,
``FSReadDayParameters.java``; fiscal.md §3 names these commands without layouts), and the
driver's parsers on the same bytes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from kassa_shtrih import commands as c
from kassa_shtrih.sim.fr import Register

AT = datetime(2026, 3, 2, 12, 0)
AT5 = "1A 03 02 0C 00"  # YY MM DD HH MM


def register() -> Register:
    fr = Register(clock=lambda: AT)
    assert c.answer(fr.execute(c.request(c.OPEN_SHIFT, 1))).error == 0  # FD 1
    return fr


def sell(fr: Register, total: int = 15000) -> None:
    for payload in (c.operation_v2(30, op=1, qty=Decimal(1), price=total, total=total,
                                   tax_rate=1, dept=1, method=4, obj=1, name="Чай"),
                    c.close_v2(30, [total] + [0] * 15, tax_system=1)):
        assert c.answer(fr.execute(payload)).error == 0


def fp(fr: Register, number: int) -> str:
    return c.le(fr.documents[number].fiscal_sign, 4).hex(" ")


def test_ff40_shift_parameters() -> None:
    fr = register()
    sell(fr)
    got = fr.execute(c.request(c.SHIFT_PARAMS, 30))
    # error 1, state 1 (open), shift 2, receipt number 2: "Длина сообщения: 6 байт"
    assert got == bytes.fromhex("FF 40 00 01 0100 0100")
    assert len(got) - 2 == 6
    sp = c.shift_params(got[3:])
    assert (sp.open, sp.shift, sp.receipt) == (True, 1, 1)


def test_ff39_exchange_status() -> None:
    fr = register()
    sell(fr)
    got = fr.execute(c.request(c.OFD_STATUS, 30))
    # error, status (bit 1: a message for the OFD), reading 0, count 2, first FD 4, its
    # date-time 5: "Длина сообщения: 14 байт"
    assert got == bytes.fromhex(f"FF 39 00 02 00 0200 01000000 {AT5}")
    assert len(got) - 2 == 14
    st = c.ofd_status(got[3:])
    assert (st.exchange, st.unsent, st.first_number, st.first_at) == (0x02, 2, 1, AT)
    fr.ofd_backlog = 0
    idle = fr.execute(c.request(c.OFD_STATUS, 30))
    assert idle == bytes.fromhex("FF 39 00 00 00 0000 00000000 0000000000")
    assert c.ofd_status(idle[3:]).first_at is None


def test_ff0a_shift_report_and_receipt() -> None:
    fr = register()
    sell(fr, 15000)
    shift = fr.execute(c.find_document(30, 1))
    # type 2 (shift open), ticket 0, date-time 5, FD 4, FP 4, shift 2
    assert shift == bytes.fromhex(f"FF 0A 00 02 00 {AT5} 01000000 {fp(fr, 1)} 0100")
    receipt = fr.execute(c.find_document(30, 2))
    # type 3, ticket 0, date-time 5, FD 4, FP 4, operation 1, sum 5
    assert receipt == bytes.fromhex(
        f"FF 0A 00 03 00 {AT5} 02000000 {fp(fr, 2)} 01 983A000000")
    found = c.found_document(receipt[3:])
    assert (found.type, found.number, found.operation, found.total) == (3, 2, 1, 15000)
    assert found.fiscal_sign == fr.documents[2].fiscal_sign and found.at == AT
    assert c.found_document(shift[3:]).shift == 1
    assert fr.execute(c.find_document(30, 99)) == bytes.fromhex("FF 0A 08")  # no such FD
    assert fr.execute(c.find_document(1, 1)) == bytes.fromhex("FF 0A 4F")  # sysadmin only


def test_ff01_names_the_open_document() -> None:
    """FSReadStatus.java: life phase, current document (00 none, 04h receipt), its data
    received, shift state, warnings, date-time 5 (YMD HM), FN 16 ASCII, last FD 4."""
    fr = register()
    idle = fr.execute(c.request(c.FN_STATUS, 30))
    assert idle == bytes.fromhex(f"FF 01 00 03 00 00 01 00 {AT5}") + b"9999078900000961" \
        + bytes.fromhex("01000000")
    assert len(idle) - 2 == 31  # "Длина сообщения: 31 байт"
    fr.execute(c.operation_v2(30, op=1, qty=Decimal(1), price=100, total=100, tax_rate=1,
                              dept=1, method=4, obj=1, name="x"))
    assert fr.execute(c.request(c.FN_STATUS, 30))[3:6] == bytes.fromhex("03 04 01")
    fr.execute(c.request(c.CANCEL, 1))
    fr.execute(c.request(c.CORRECTION_BEGIN, 30))
    st = c.fn_status(fr.execute(c.request(c.FN_STATUS, 30))[3:])
    assert (st.document, st.shift_open, st.last_fd) == (0x14, True, 1)
