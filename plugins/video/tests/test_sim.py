"""The emulator reads what the real receivers read (the part B fixtures) and flags or
refuses what they would not."""

from __future__ import annotations

import anyio
import pytest
from kassa_video.sim import SimReceiver, VideoSimulator

from .conftest import wait_for
from .test_encoders import AXXON_SAMPLE, TRASSIR_SAMPLE

pytestmark = pytest.mark.anyio


async def send(port: int, data: bytes) -> None:
    async with await anyio.connect_tcp("127.0.0.1", port) as s:
        await s.send(data)


async def test_the_vendor_samples_read_over_tcp(sim: VideoSimulator) -> None:
    await send(sim["dssl"].port, TRASSIR_SAMPLE.encode())
    await send(sim["axxon"].port, AXXON_SAMPLE.encode())
    await wait_for(lambda: sim["dssl"].records and sim["axxon"].records)
    d, a = sim["dssl"].records[0], sim["axxon"].records[0]
    assert (d.kind, d.terminal, d.receipt, d.fields["price"]) == (
        "line_add", "cas_1", "E44D0F4A", "103.98")
    assert (a.kind, a.terminal, a.receipt, a.fields["item_name"]) == (
        "line_add", "1", "1532", "Молоко 1л")
    # a line with no receipt open is what the order check is for
    assert any("outside an open receipt" in f for f in sim["dssl"].flags)


def test_dssl_rules() -> None:
    r = SimReceiver("v")
    r.take(TRASSIR_SAMPLE.replace('encoding="utf-8"', 'encoding="koi8-r"').encode(), 1)
    r.take(TRASSIR_SAMPLE.encode().replace(b"Ivanov I", "Иванов".encode("cp1251")), 1)
    r.take(TRASSIR_SAMPLE.split("?>", 1)[1].encode(), 1)
    r.take(TRASSIR_SAMPLE.replace("<time>16:40:15</time>", "<time>4 pm</time>").encode(), 1)
    r.take(TRASSIR_SAMPLE.replace("103.98", "103,98").encode(), 1)
    r.take(TRASSIR_SAMPLE.replace("<operation_id>E44D0F4A</operation_id>", "").encode(), 1)
    r.take(TRASSIR_SAMPLE.replace("POSNG_POSITION_ADD", "POSNG_NONSENSE").encode(), 1)
    assert r.records == [r.records[0]] and r.records[0].kind == "POSNG_NONSENSE"
    for flag, text in zip(r.flags, ["'koi8-r' is not UTF-8 or windows-1251",
                                    "are not valid utf-8", "without <?xml",
                                    "do not read as", "is not a decimal with a dot",
                                    "operation_id are required",
                                    "unknown event_type POSNG_NONSENSE"], strict=True):
        assert text in flag


def test_axxon_rules() -> None:
    r = SimReceiver("v", protocol="axxon")
    r.take(AXXON_SAMPLE.replace("<FunctionNumber>2</FunctionNumber>\r\n", "").encode(), 1)
    r.take(AXXON_SAMPLE.replace(".120", "").encode(), 1)
    r.take(AXXON_SAMPLE.replace("\r\n<item_pos>", "<item_pos>").encode(), 1)
    r.take(AXXON_SAMPLE.encode("cp1251"), 1)  # the site expects UTF-8
    r.take(AXXON_SAMPLE.replace("<FunctionNumber>2<", "<FunctionNumber>77<").encode(), 1)
    assert [x.kind for x in r.records] == ["77"]
    for flag, text in zip(r.flags, ["FunctionNumber is required", "is not yyyy-mm-ddThh:nn:ss.fff",
                                    "not one element per line", "not valid utf-8",
                                    "FunctionNumber 77 is not in xml_titles"], strict=True):
        assert text in flag
    cp = SimReceiver("v", protocol="axxon", encoding="windows-1251")
    cp.take(AXXON_SAMPLE.encode("cp1251"), 1)
    assert cp.records[0].fields["item_name"] == "Молоко 1л" and not cp.flags[1:]


def test_text_rules_and_receipt_order() -> None:
    r = SimReceiver("v", protocol="text")
    lines = ["2024-05-01 09:00:00\tt1\treceipt_open\t1\t",
             "2024-05-01 09:00:01\tt1\tline_add\t1\t1 Чай 1 x 1.00 = 1.00",
             "2024-05-01 09:00:01\tt1\treceipt_open\t2\t",  # a second order at the station
             "2024-05-01 09:00:02\tt2\tline_add\t5\t1 Кофе 1 x 1.00 = 1.00",
             "2024-05-01 09:00:02\tt1\tline_add\t2\t1 Кофе 1 x 1.00 = 1.00",
             "2024-05-01 09:00:00\tt1\treceipt_close\t1\t1.00",
             "2024-05-01 09:00:03\tt1\treceipt_close\t1\t1.00",
             "2024-05-01 09:00:04\tt1\treceipt_open\t2\t",
             "2024-05-01 09:00:04\tt1\tbogus\t1\t", "09:00\tt1\treceipt_open\t2\t", "a\tb"]
    for ln in lines:
        r.take((ln + "\r\n").encode(), 1)
    assert r.kinds() == ["receipt_open", "line_add", "receipt_open", "line_add", "line_add",
                         "receipt_close", "receipt_close", "receipt_open"]
    assert r.flags == [
        "terminal t2: line_add of receipt 5 outside an open receipt",
        "terminal t1: receipt_close of receipt 1 at 2024-05-01 09:00:00 is earlier than"
        " 2024-05-01 09:00:01",
        "terminal t1: receipt_close of receipt 1 that is not open",
        "terminal t1: receipt 2 opened again while open",
        "connection 1: unknown event kind 'bogus'",
        "connection 1: time '09:00' is not YYYY-MM-DD HH:MM:SS",
        "connection 1: a line has 2 tab-separated fields, not 5"]


async def test_a_document_cut_by_the_link_is_flagged_not_recorded(sim: VideoSimulator) -> None:
    data = TRASSIR_SAMPLE.encode()
    await send(sim["dssl"].port, data + data[:40])
    await wait_for(lambda: sim["dssl"].connections == 1 and not sim["dssl"].streams)
    assert len(sim["dssl"].records) == 1
    assert any("ended inside a document (40 bytes dropped)" in f for f in sim["dssl"].flags)


async def test_duplicates_are_listed(sim: VideoSimulator) -> None:
    await send(sim["dssl"].port, TRASSIR_SAMPLE.encode() * 2)
    await wait_for(lambda: len(sim["dssl"].records) == 2)
    assert sim["dssl"].duplicates() == [TRASSIR_SAMPLE.encode()]
