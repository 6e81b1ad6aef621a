"""A USB printer through the kernel's usblp character device (/dev/usb/lp0). A pty stands in
for the device file: the same non-blocking read/write a usblp node takes, with the printer
emulator on the other side."""

from __future__ import annotations

import os
import termios
import tty
from collections.abc import Iterator

import anyio
import pytest
from kassa.errors import RetryLater
from kassa.model import Health, PrintJob
from kassa_escpos.printer import EscposPrinter
from kassa_escpos.protocol import PrinterState
from kassa_escpos.settings import PrinterSettings
from kassa_escpos.sim import EscposSimulator

pytestmark = pytest.mark.anyio
JOB = PrintJob(lines=("Чек 12", "Борщ   250,00", "::qr t=20260302T0900&s=250.00"))


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    for fd in (master, slave):
        tty.setraw(fd)
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


async def test_prints_and_reads_status_over_the_usblp_device(pty_pair: tuple[int, str]
                                                             ) -> None:
    master, path = pty_pair
    far = EscposSimulator([("usb", "")])["usb"]
    p = EscposPrinter(PrinterSettings(name="usb", usb=path, status_timeout=1.0,
                                      status_interval=0))
    async with anyio.create_task_group() as tg:
        tg.start_soon(far.serve_fd, master)
        await p.start()
        assert p.status().health is Health.OK
        await p.print(JOB, key="u1")
        assert await p.lookup("u1") is True
        far.set_state(PrinterState(paper_out=True))
        with pytest.raises(RetryLater):
            await p.print(JOB, key="u2")
        assert p.status().health is not Health.OK
        await p.stop()
        tg.cancel_scope.cancel()
    assert [t.key for t in far.paper.tickets] == ["u1"] and far.paper.flags == []
    assert far.paper.tickets[0].codes[0].kind == "qr"


async def test_a_missing_usb_device_fails_start_in_one_sentence() -> None:
    p = EscposPrinter(PrinterSettings(name="касса-2", usb="/dev/usb/lp-missing"))
    with pytest.raises(ConnectionError, match="«касса-2» \\(/dev/usb/lp-missing\\) недоступен"):
        await p.start()
    assert p.status().health is Health.DOWN


def test_exactly_one_transport() -> None:
    with pytest.raises(ValueError, match="host \\(TCP\\), serial or usb"):
        PrinterSettings(name="x", host="10.0.0.5", usb="/dev/usb/lp0")
    with pytest.raises(ValueError, match="exactly one"):
        PrinterSettings(name="x")
