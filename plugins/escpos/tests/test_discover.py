"""Discovery against the printer emulator over a real TCP socket and a pty."""

from __future__ import annotations

import os
import tty

import anyio
import kassa_escpos
import pytest
from kassa.discovery import Candidate, PortProbe, discover
from kassa.plugins import Plugins, new_manager
from kassa_escpos.discover import claim_device
from kassa_escpos.protocol import PrinterState
from kassa_escpos.settings import PrinterSettings
from kassa_escpos.sim import EscposSimulator, SimPrinter

pytestmark = pytest.mark.anyio


def only_escpos() -> Plugins:
    return Plugins(new_manager(entry_points=False, extra=[kassa_escpos]))


async def test_a_tcp_printer_is_claimed_with_a_block_that_configures_it() -> None:
    import tomllib

    sim = EscposSimulator([("kitchen", "")])
    await sim.start()
    try:
        sim["kitchen"].set_state(PrinterState(paper_near_end=True))
        port = sim["kitchen"].port
        result = await discover(only_escpos(), hosts=["127.0.0.1"], ports=[port],
                                serial=False, usb=False, held={})
    finally:
        await sim.stop()
    (found,) = result.found
    assert found.claim is not None and found.claim.plugin == "kassa_escpos"
    assert found.claim.kind == "printer" and "бумага заканчивается" in found.claim.model
    block = tomllib.loads(found.claim.config)  # parses into the plugin's real settings
    printer = PrinterSettings(**block["escpos"]["printers"][0])
    assert printer.where == f"127.0.0.1:{port}" and printer.name == f"printer-127-0-0-1-{port}"
    assert sim["kitchen"].paper.tickets == []  # nothing was printed by the probe


async def test_a_printer_on_a_pty_is_claimed_at_9600() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    path = os.ttyname(slave)
    printer = SimPrinter("p")
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(printer.serve_fd, master)
            result = await discover(only_escpos(), devices=[path], serial=False, usb=False,
                                    held={})
            tg.cancel_scope.cancel()
    finally:
        os.close(master)
        os.close(slave)
    (found,) = result.found
    assert found.claim is not None and found.claim.model == "ESC/POS"
    assert f'serial = "{path}"' in found.claim.config
    assert printer.paper.tickets == [] and not printer.paper.flags


async def test_a_silent_printer_is_not_claimed() -> None:
    sim = EscposSimulator([("kitchen", "")])
    await sim.start()
    sim["kitchen"].silent = True
    try:
        c = Candidate(transport="tcp", address="x", host="127.0.0.1", port=sim["kitchen"].port)
        probe = PortProbe(c, active=True, wait=0.1)
        try:
            assert await claim_device(c, probe) is None
        finally:
            probe.close()
    finally:
        await sim.stop()


async def test_a_usb_printer_class_device_is_named_but_not_configured() -> None:
    c = Candidate(transport="usb", address="usb 1-1", vendor_id=0x04B8, product_id=0x0202,
                  manufacturer="EPSON", product="TM-T20", interface_classes=(7,))
    got = await claim_device(c, PortProbe(c, active=False, locale="en"))
    assert got is not None and got.kind == "printer" and got.config == ""
    assert "TM-T20" in got.model and "usblp" in got.note
    other = Candidate(transport="usb", address="usb 1-2", interface_classes=(3,))
    assert await claim_device(other, PortProbe(other, active=False)) is None


async def test_a_usb_printer_on_usblp_is_configured_by_its_lp_node() -> None:
    import tomllib

    from kassa_escpos.settings import PrinterSettings

    c = Candidate(transport="usb", address="usb 1-4", path="/dev/usb/lp0", vendor_id=0x04B8,
                  product_id=0x0202, product="TM-T20", interface_classes=(7,),
                  kernel_driver="usblp")
    probe = PortProbe(c, active=False, locale="ru")
    got = await claim_device(c, probe)
    assert got is not None and got.kind == "printer" and got.note == ""
    (block,) = tomllib.loads(got.config)["escpos"]["printers"]
    assert block == {"name": "printer-lp0", "usb": "/dev/usb/lp0", "site": ""}
    assert PrinterSettings(**block).where == "/dev/usb/lp0"
