"""The emulated register's rules (fiscal.md §3.2, §12) on request payloads: FF46 arithmetic,
FF45's 16 slots and change, the tax system bit, FF0C into the open document, FF0A, the
shift state machine with its 24 hours, paper submodes and 0xB0, marking."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from kassa_shtrih import commands as c
from kassa_shtrih.codes import split_mode
from kassa_shtrih.sim.fr import Register


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 3, 2, 12, 0)

    def __call__(self) -> datetime:
        return self.t


@pytest.fixture
def fr() -> Register:
    return Register(clock=Clock())


def run(fr: Register, payload: bytes) -> tuple[int, bytes]:
    a = c.answer(fr.execute(payload))
    return a.error, a.data


def ok(fr: Register, payload: bytes) -> bytes:
    err, data = run(fr, payload)
    assert err == 0, f"refused with 0x{err:02X}"
    return data


def item(total: int | None = 15000, *, qty: str = "1", price: int = 15000, rate: int = 0x01,
         obj: int = 1, op: int = 1) -> bytes:
    return c.operation_v2(30, op=op, qty=Decimal(qty), price=price, total=total,
                          tax_rate=rate, dept=1, method=4, obj=obj, name="Чай")


def close(cash: int = 15000, card: int = 0, tax: int = 1) -> bytes:
    return c.close_v2(30, [cash, card] + [0] * 14, tax_system=tax)


def mode(fr: Register) -> int:
    return split_mode(c.short_status(ok(fr, c.request(c.SHORT_STATUS, 1))).mode)[0]


def test_shift_state_machine_4_2_3(fr: Register) -> None:
    assert mode(fr) == 4
    assert run(fr, item())[0] == 0x3D, "no sale with the shift closed"
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    assert mode(fr) == 2
    assert run(fr, c.request(c.OPEN_SHIFT, 1))[0] == 0x3C
    fr.clock.t += timedelta(hours=24, minutes=1)  # type: ignore[attr-defined]
    assert mode(fr) == 3
    assert run(fr, item())[0] == 0x4E, "after 24 h: close the shift first"
    assert run(fr, c.request(c.Z_REPORT, 1))[0] == 0x4F, "Z needs the sysadmin password"
    ok(fr, c.request(c.Z_REPORT, 30))
    assert mode(fr) == 4 and fr.fd == 2


def test_receipt_mode_8_tlv_and_ff0a(fr: Register) -> None:
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    ok(fr, item(None, qty="1.5", price=999))  # 0xFF.. sum: the register computes 1498.5 -> 1499
    assert mode(fr) == 8
    ok(fr, c.send_tlv(30, 1008, c.text("+79990000000")))
    assert run(fr, c.send_tlv(30, 1203, b"123"))[0] == 0x33, "1203 is 12 digits"
    change = ok(fr, close(cash=2000, tax=1))
    assert c.num(change) == 501 and mode(fr) == 2
    doc = fr.documents[fr.fd]
    assert doc.tlv == [(1008, b"+79990000000")] and doc.items[0]["total"] == 1499
    found = c.found_document(ok(fr, c.find_document(30, fr.fd)))
    assert (found.type, found.number, found.total, found.operation) == (3, 2, 1499, 1)
    assert found.fiscal_sign == doc.fiscal_sign
    assert run(fr, c.find_document(30, 99))[0] == 0x08


def test_item_sum_within_one_kopeck(fr: Register) -> None:
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    ok(fr, item(1499, qty="1.5", price=999))
    ok(fr, item(1500, qty="1.5", price=999))
    assert run(fr, item(1501, qty="1.5", price=999))[0] == 0x33


def test_one_tax_bit_and_one_tax_system_bit(fr: Register) -> None:
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    assert run(fr, item(rate=0x03))[0] == 0x33
    ok(fr, item())
    assert run(fr, close(tax=3))[0] == 0x33, "1055 carries exactly one bit"
    ok(fr, close(tax=2))


def test_payments_cover_the_total_and_change_only_from_cash(fr: Register) -> None:
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    ok(fr, item())
    assert run(fr, close(cash=100))[0] == 0x45
    assert run(fr, close(cash=0, card=16000))[0] == 0x4D
    assert c.num(ok(fr, close(cash=10000, card=10000))) == 5000
    assert fr.cash == 5000


def test_cancel_leaves_no_document(fr: Register) -> None:
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    ok(fr, item())
    ok(fr, c.request(c.CANCEL, 1))
    assert mode(fr) == 2 and fr.fd == 1 and not fr.receipts()
    assert run(fr, c.request(c.CANCEL, 1))[0] == 0x55


def test_paper_submodes_and_continue_print(fr: Register) -> None:
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    fr.paper_runs_out_after_fd = True
    ok(fr, item())
    ok(fr, close())  # the FN made the document, then the paper ran out
    assert c.short_status(ok(fr, c.request(c.SHORT_STATUS, 1))).submode == 2
    assert run(fr, item())[0] == 0x6B
    fr.load_paper()
    assert c.short_status(ok(fr, c.request(c.SHORT_STATUS, 1))).submode == 3
    assert run(fr, item())[0] == 0x58, "waiting for 0xB0"
    ok(fr, c.request(c.CONTINUE_PRINT, 1))
    ok(fr, item())


def test_cash_in_out_and_x(fr: Register) -> None:
    assert run(fr, c.money_request(c.CASH_IN, 1, 100))[0] == 0x3D
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    ok(fr, c.money_request(c.CASH_IN, 1, 10000))
    assert run(fr, c.money_request(c.CASH_OUT, 1, 20000))[0] == 0x46
    data = ok(fr, c.money_request(c.CASH_OUT, 1, 4000))
    assert c.num(data[1:3]) == fr.doc_no == 3 and fr.cash == 6000
    ok(fr, c.request(c.X_REPORT, 30))
    assert fr.fd == 1, "cash in/out and X are not fiscal documents"


def test_marking_check_accept_bind_then_sale(fr: Register) -> None:
    code = b"010463003407001221SxMGorvNuq6Wk91fx2A92sGw=="
    ok(fr, c.request(c.OPEN_SHIFT, 1))
    assert run(fr, item(obj=33))[0] == 0x5E, "a marked item needs a bound code"
    ans = c.marking_answer(ok(fr, c.check_marking(30, code, 1)))
    assert ans.local_error == 0 and ans.item_info == 0x0F
    ok(fr, c.accept_marking(30, True))
    ok(fr, c.bind_marking(30, code))
    ok(fr, item(obj=33))
    assert fr.doc is not None and fr.doc.items[0]["2000"] == code.decode()
    fr.marking_declined = True
    assert c.marking_answer(ok(fr, c.check_marking(30, code, 1))).item_info == 0x05


def test_fn_missing_and_unknown_command(fr: Register) -> None:
    fr.no_fn = True
    assert run(fr, c.request(c.FN_STATUS, 30))[0] == 0x64
    assert run(fr, c.request(0xFF7F, 30))[0] == 0x37


def test_fiscal_signs_are_deterministic() -> None:
    a, b = Register(clock=Clock()), Register(clock=Clock())
    for r in (a, b):
        ok(r, c.request(c.OPEN_SHIFT, 1))
    assert a.documents[1].fiscal_sign == b.documents[1].fiscal_sign
