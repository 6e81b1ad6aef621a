"""The emulator's parser against byte fixtures written from the ESC/POS command reference
(fiscal.md §4; python-escpos/python-escpos:src/escpos/constants.py), not from our driver."""

from __future__ import annotations

import pytest
from kassa_escpos.paper import Parser
from kassa_escpos.protocol import PrinterState

ESC, GS, DLE = b"\x1b", b"\x1d", b"\x10"


def parse(data: bytes, state: PrinterState | None = None, step: int = 0) -> tuple[Parser, bytes]:
    st = state or PrinterState()
    p = Parser(status=lambda n: st.answer(n) if n in (1, 2, 4) else None)
    if step:  # byte by byte: the parser must resume inside any command
        answers = b"".join(p.feed(data[i:i + step]) for i in range(0, len(data), step))
    else:
        answers = p.feed(data)
    return p, answers


TICKET = (ESC + b"@" + ESC + b"t\x11" + ESC + b"!\x38" + "Счёт".encode("cp866") + b"\n"
          + ESC + b"!\x00" + GS + b"!\x11" + b"BIG\n" + GS + b"!\x00"
          + ESC + b"a\x01" + ESC + b"E\x01" + b"centre\n" + ESC + b"E\x00" + ESC + b"a\x00"
          + GS + b"(k\x04\x001A2\x00" + GS + b"(k\x03\x001C\x04" + GS + b"(k\x03\x001E0"
          + GS + b"(k\x12\x001P0t=20260101T1200" + GS + b"(k\x03\x001Q0"
          + GS + b"kC\x0d4601234567893" + GS + b"k\x04*ABC*\x00"
          + ESC + b"M\x01#key-1\n" + ESC + b"d\x03" + GS + b"V\x01" + ESC + b"p\x00\x32\x32")


@pytest.mark.parametrize("step", [0, 1, 7])
def test_a_reference_ticket_becomes_paper(step: int) -> None:
    p, _ = parse(TICKET, step=step)
    assert p.paper.flags == []
    (t,) = p.paper.tickets
    texts = [ln.text for ln in t.lines]
    assert texts == ["Счёт", "BIG", "centre", "#key-1"]
    first, big, centre, key = t.lines
    assert first.style.bold and first.style.width == 2 and first.style.height == 2
    assert big.style.width == 2 and not big.style.bold
    assert centre.style.align == "center" and centre.style.bold
    assert key.style.font == "b" and t.key == "key-1"
    assert [(c.kind, c.data) for c in t.codes] == [
        ("qr", "t=20260101T1200"), ("EAN13", "4601234567893"), ("CODE39", "*ABC*")]
    assert t.cut == "partial" and t.feed == 3
    assert p.paper.pulses == [2]


def test_code_page_decides_the_letters() -> None:
    word = "Привет".encode("cp866")
    p, _ = parse(ESC + b"t\x11" + word + b"\n" + ESC + b"@" + word + b"\n" + GS + b"V\x00")
    cyr, latin = p.paper.tickets[0].lines
    assert cyr.text == "Привет"
    assert latin.text == word.decode("cp437")  # ESC @ went back to table 0


def test_dle_eot_is_answered_in_the_stream() -> None:
    _, ok = parse(DLE + b"\x04\x01" + DLE + b"\x04\x02" + DLE + b"\x04\x04")
    assert ok == b"\x12\x12\x12"  # the fixed bits only: online, cover shut, paper present
    _, out = parse(DLE + b"\x04\x01" + DLE + b"\x04\x02" + DLE + b"\x04\x04",
                   PrinterState(paper_out=True))
    assert out == bytes([0x12 | 0x08, 0x12 | 0x20, 0x12 | 0x6C])
    _, cover = parse(DLE + b"\x04\x02", PrinterState(cover_open=True))
    assert cover == bytes([0x16])
    _, near = parse(DLE + b"\x04\x04", PrinterState(paper_near_end=True))
    assert near == bytes([0x1E])  # python-escpos RT_MASK_LOWPAPER = 30


def test_status_bytes_decode_as_python_escpos_reads_them() -> None:
    assert PrinterState.read(0x12, 0x12, 0x12) == PrinterState()
    assert PrinterState.read(0x12, 0x12, 30).paper_near_end  # RT_MASK_LOWPAPER
    assert PrinterState.read(0x12 | 8, 0x12, 114).paper_out  # RT_MASK_NOPAPER
    with pytest.raises(ValueError):
        PrinterState.read(0x41, 0x12, 0x12)  # 'A': text, not a status byte


def test_cuts_and_drawer_variants() -> None:
    p, _ = parse(b"a\n" + GS + b"V\x30" + b"b\n" + GS + b"VB\x05" + b"c\n" + ESC + b"i"
                 + ESC + b"p\x01\x19\xfa" + DLE + b"\x14\x01\x00\x02")
    assert [t.cut for t in p.paper.tickets] == ["full", "partial", "full"]
    assert p.paper.tickets[1].feed == 5
    assert p.paper.pulses == [5, 2]


def test_raster_image_is_skipped_by_its_size() -> None:
    img = GS + b"v0\x00\x02\x00\x03\x00" + b"\xff" * 6  # 16 x 3 dots
    p, _ = parse(img + b"after\n" + GS + b"V\x00")
    t = p.paper.tickets[0]
    assert t.images == [(16, 3)] and [ln.text for ln in t.lines] == ["after"]
    assert p.paper.flags == []


def test_unknown_commands_are_flagged_not_printed() -> None:
    p, _ = parse(b"ok\n" + ESC + b"\x07" + GS + b"\x99" + b"\x07" + DLE + b"\x04\x09"
                 + GS + b"kZ" + GS + b"(q\x01\x00\x00" + b"end\n" + GS + b"V\x00")
    assert len(p.paper.flags) == 6
    assert p.paper.flags[0].startswith("offset 3: unknown command ESC 0x07")
    assert [ln.text for ln in p.paper.tickets[0].lines] == ["ok", "end"]


def test_garbage_bytes_never_crash_the_parser() -> None:
    import random

    rnd = random.Random(7)
    junk = bytes(rnd.randrange(256) for _ in range(5000))
    p, _ = parse(junk)
    p.flush()
    assert p.paper.flags  # garbage is seen as such


def test_duplicates_are_keys_printed_twice() -> None:
    one = ESC + b"M\x01#k1\n" + ESC + b"M\x00" + b"x\n" + GS + b"V\x00"
    p, _ = parse(one + one + one.replace(b"k1", b"k2"))
    assert p.paper.duplicates() == ["k1"]
