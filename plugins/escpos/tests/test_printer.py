"""The driver against the emulator over TCP: tickets, status polling, a printer that
vanishes mid-ticket, and jobs it refuses."""

from __future__ import annotations

import anyio
import pytest
from kassa.errors import Permanent, RetryLater
from kassa.model import Health, PrintJob
from kassa_escpos.printer import EscposPrinter, PrinterLost
from kassa_escpos.protocol import PrinterState
from kassa_escpos.settings import PrinterSettings
from kassa_escpos.sim import EscposSimulator
from kassa_escpos.ticket import KitchenItem, KitchenTicket, kitchen_key

from .conftest import settings_for

pytestmark = pytest.mark.anyio

RECEIPT = PrintJob(lines=("::big Кафе «Берёзка»", "Борщ          2 x 250,00", "::rule",
                          "::b Итого: 500,00 ₽", "::qr https://check.ofd.ru/?fn=1",
                          "::barcode EAN13 4601234567893", "::barcode CODE128 ORD-1042",
                          "::center Спасибо!"), open_drawer=True)


async def test_a_receipt_comes_out_as_sent(sim: EscposSimulator, printer: EscposPrinter) -> None:
    await printer.print(RECEIPT, key="chk-1:slip")
    paper = sim["kitchen"].paper
    (t,) = paper.tickets
    assert t.key == "chk-1:slip" and t.cut == "full"
    texts = [ln.text for ln in t.lines]
    assert texts[1] == 'Кафе "Берёзка"' and t.lines[1].style.width == 2
    assert "Итого: 500,00 р." in texts and "-" * 42 in texts
    assert t.lines[texts.index("Спасибо!")].style.align == "center"
    assert [(c.kind, c.data) for c in t.codes] == [
        ("qr", "https://check.ofd.ru/?fn=1"), ("EAN13", "4601234567893"),
        ("CODE128", "ORD-1042")]
    assert paper.pulses == [2] and paper.flags == []
    assert await printer.lookup("chk-1:slip") is True
    assert printer.status().health is Health.OK


async def test_copies_are_cut_apart_and_numbered(sim: EscposSimulator,
                                                 printer: EscposPrinter) -> None:
    ticket = KitchenTicket(kind="new", order="1042", station="Горячий цех", revision=1,
                           number=7, table="5", waiter="Анна",
                           items=[KitchenItem(name="Борщ", quantity="2", comment="без лука")])
    key = kitchen_key("1042", "hot", 1)
    await printer.print(ticket.job(copies=2), key=key)
    tickets = sim["kitchen"].paper.tickets
    assert [t.key for t in tickets] == [f"{key} 1/2", f"{key} 2/2"]
    texts = [ln.text for ln in tickets[0].lines]
    assert texts[1:4] == ["НОВЫЙ ЗАКАЗ", "Горячий цех № 7", "Заказ 1042, стол 5"]
    assert "2 x Борщ" in texts and "   ! без лука" in texts


async def test_status_is_polled_into_health(sim: EscposSimulator,
                                            printer: EscposPrinter) -> None:
    far = sim["kitchen"]
    far.set_state(PrinterState(paper_near_end=True))
    st = await printer.poll()
    assert st.health is Health.DEGRADED and "заканчивается" in (st.message or "")
    far.set_state(PrinterState(cover_open=True))
    assert (await printer.poll()).detail["cover_open"] is True
    assert "крышка" in (printer.status().message or "")
    far.set_state(PrinterState())
    assert (await printer.poll()).health is Health.OK
    far.silent = True
    st = await printer.poll()
    assert st.health is Health.DOWN and "не ответил" in (st.message or "")


async def test_paper_out_refuses_before_sending(sim: EscposSimulator,
                                               printer: EscposPrinter) -> None:
    sim["kitchen"].set_state(PrinterState(paper_out=True))
    with pytest.raises(RetryLater, match="закончилась бумага"):
        await printer.print(RECEIPT, key="k1")
    assert await printer.lookup("k1") is False  # nothing left: it may print later
    assert sim["kitchen"].paper.tickets == [] and sim["kitchen"].held == b""
    sim["kitchen"].set_state(PrinterState())
    await printer.print(RECEIPT, key="k1")
    assert sim["kitchen"].effects() == 1


async def test_paper_running_out_during_the_job_is_unknown(sim: EscposSimulator,
                                                           printer: EscposPrinter) -> None:
    sim["kitchen"].after_tickets[1] = PrinterState(paper_out=True)
    job = PrintJob(lines=("a", "b"), copies=2)
    with pytest.raises(PrinterLost, match="кончилась бумага"):
        await printer.print(job, key="k2")
    assert await printer.lookup("k2") is None
    assert len(sim["kitchen"].paper.tickets) == 1 and sim["kitchen"].held  # copy 2 waits


async def test_a_printer_that_vanishes_mid_ticket(sim: EscposSimulator,
                                                  printer: EscposPrinter) -> None:
    far = sim["kitchen"]
    far.drop_after = 60  # bytes: inside the ticket's body
    big = PrintJob(lines=tuple(f"строка {i}" for i in range(200)))
    with pytest.raises(PrinterLost) as caught:
        await printer.print(big, key="half")
    message = str(caught.value)
    assert message.count(".") == 1 and "не повторится" in message  # one sentence
    assert printer.status().health is Health.DOWN and printer.status().message == message
    assert await printer.lookup("half") is None  # part of it is on paper: a person decides
    (torn,) = far.paper.tickets
    assert torn.cut is None and torn.key == "half"
    with pytest.raises(RetryLater):  # until the hub restarts it, nothing is sent
        await printer.print(RECEIPT, key="next")
    await printer.stop()
    await printer.start()  # back: the half ticket is fed and cut off first
    marker = far.paper.tickets[1]
    assert [ln.text for ln in marker.lines][-1] == "- связь прерывалась: проверьте чек выше -"
    await printer.print(RECEIPT, key="next")
    assert [t.key for t in far.paper.tickets] == ["half", None, "next"]


async def test_an_unreachable_printer_fails_start_in_one_sentence(
        sim: EscposSimulator) -> None:
    s = settings_for(sim)
    await sim.stop()
    p = EscposPrinter(s)
    with pytest.raises(ConnectionError, match="недоступен") as caught:
        await p.start()
    assert p.status().health is Health.DOWN and str(caught.value) == p.status().message
    with pytest.raises(RetryLater):
        await p.print(RECEIPT, key="x")
    assert await p.lookup("x") is False


async def test_english_messages_on_request(sim: EscposSimulator) -> None:
    p = EscposPrinter(settings_for(sim, locale="en"))
    await p.start()
    sim["kitchen"].set_state(PrinterState(paper_out=True))
    with pytest.raises(RetryLater, match="out of paper"):
        await p.print(RECEIPT, key="e1")
    await p.stop()


async def test_raw_jobs_must_be_escpos(sim: EscposSimulator, printer: EscposPrinter) -> None:
    with pytest.raises(Permanent, match="неизвестные команды"):
        await printer.print(PrintJob(raw=b"\x1b@hello\n\x1b\x07"), key="r1")
    await printer.print(PrintJob(raw=b"\x1b@\x1bM\x01#r2\nraw ok\n"), key="r2")
    (t,) = sim["kitchen"].paper.tickets
    assert t.key == "r2" and t.lines[-1].text == "raw ok" and t.cut == "full"


async def test_bad_directives_are_permanent(printer: EscposPrinter) -> None:
    with pytest.raises(Permanent, match="EAN13"):
        await printer.print(PrintJob(lines=("::barcode EAN13 12ab",)), key="b1")
    with pytest.raises(Permanent, match="symbology"):
        await printer.print(PrintJob(lines=("::barcode MAXICODE 1",)), key="b2")


async def test_a_strict_emulator_hangs_up_on_garbage(sim: EscposSimulator,
                                                     printer: EscposPrinter) -> None:
    sim["kitchen"].strict = True
    await printer.link.send(b"\x1b\x07garbage")  # behind the driver's back
    with anyio.fail_after(2):
        while sim["kitchen"].streams:  # noqa: ASYNC110 (the emulator exposes a set)
            await anyio.sleep(0.01)
    assert (await printer.poll()).health is Health.DOWN
    assert "ESC 0x07" in sim["kitchen"].paper.flags[0]


async def test_an_unknown_profile_is_one_sentence(sim: EscposSimulator) -> None:
    from kassa.errors import UserError

    p = EscposPrinter(settings_for(sim, profile="TM-NOPE"))
    with pytest.raises(UserError, match="профиль «TM-NOPE»"):
        await p.start()
    assert p.status().health is Health.DOWN


async def test_serial_over_a_pty() -> None:
    import os
    import termios
    import tty

    master, slave = os.openpty()
    tty.setraw(master)
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    far = EscposSimulator([("pty", "")])["pty"]
    settings = PrinterSettings(name="pty", serial=os.ttyname(slave), status_timeout=1.0,
                               status_interval=0)
    p = EscposPrinter(settings)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(far.serve_fd, master)
            await p.start()
            await p.print(RECEIPT, key="s1")
            far.set_state(PrinterState(cover_open=True))
            with pytest.raises(RetryLater, match="крышка"):
                await p.print(RECEIPT, key="s2")
            await p.stop()
            tg.cancel_scope.cancel()
    finally:
        os.close(master)
        os.close(slave)
    assert [t.key for t in far.paper.tickets] == ["s1"] and far.paper.flags == []
    assert far.paper.tickets[0].codes[0].kind == "qr"


async def test_a_missing_serial_device_fails_start_in_one_sentence() -> None:
    p = EscposPrinter(PrinterSettings(name="usb", serial="/dev/nonexistent-printer"))
    with pytest.raises(ConnectionError, match="«usb» \\(/dev/nonexistent-printer\\) недоступен"):
        await p.start()


async def test_a_one_way_link_prints_but_never_confirms(sim: EscposSimulator) -> None:
    sim["kitchen"].silent = True  # a print server that passes no byte back
    p = EscposPrinter(settings_for(sim, status_query=False))
    await p.start()
    await p.print(RECEIPT, key="w1")
    assert p.status().health is Health.OK
    assert await p.lookup("w1") is None  # taken by the socket, never confirmed
    await p.stop()
    with anyio.fail_after(2):
        while not sim["kitchen"].paper.tickets:  # noqa: ASYNC110 (the emulator's list)
            await anyio.sleep(0.01)
    assert sim["kitchen"].paper.keys() == {"w1": 1}


def test_halted_printer_answers_status_split_across_reads() -> None:
    far = EscposSimulator([("k", "")])["k"]
    far.set_state(PrinterState(cover_open=True))
    answers = b"".join(far.receive(bytes([b]))[0] for b in b"ab\x10\x04\x02cd\x10\x04\x04")
    assert answers == bytes([0x16, 0x12]) and far.held == b"abcd"
    far.set_state(PrinterState())
    assert far.held == b"" and far.paper.current.empty  # "abcd" waits for its line feed
