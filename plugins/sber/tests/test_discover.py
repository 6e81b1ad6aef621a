"""Discovery: a Sberbank pin pad is claimed by its USB vendor and never written to."""

from __future__ import annotations

import os
import tomllib
import tty

import kassa_sber
import pytest
from kassa.discovery import Candidate, PortProbe, claim
from kassa.plugins import Plugins, new_manager
from kassa_sber.discover import claim_device
from kassa_sber.settings import SberSettings, TerminalSettings

pytestmark = pytest.mark.anyio


async def test_a_verifone_pin_pad_is_claimed_without_a_byte_written() -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    os.set_blocking(master, False)
    path = os.ttyname(slave)
    try:
        pad = Candidate(transport="serial", address=path, path=path, vendor_id=0x11CA,
                        product_id=0x0220, product="VX820")
        found = await claim(pad, Plugins(new_manager(entry_points=False,
                                                     extra=[kassa_sber])).device_claimers())
        with pytest.raises(BlockingIOError):
            os.read(master, 64)  # nothing reached the pin pad
    finally:
        os.close(master)
        os.close(slave)
    assert found.claim is not None and found.claim.kind == "terminal"
    assert found.claim.model == "VeriFone VX820 (UPOS)" and path in found.claim.note
    block = tomllib.loads(found.claim.config)["sber"]["terminals"]
    assert SberSettings(terminals=[TerminalSettings(**t) for t in block]).terminals[0].pilot \
        == ["sb_pilot"]


async def test_an_unknown_port_is_not_claimed_even_when_probing_is_allowed() -> None:
    c = Candidate(transport="serial", address="/dev/ttyUSB0", path="/dev/ttyUSB0",
                  vendor_id=0x0403)
    assert claim_device(c, PortProbe(c, active=True)) is None
    tcp = Candidate(transport="tcp", address="10.0.0.5:9100", host="10.0.0.5", port=9100)
    assert claim_device(tcp, PortProbe(tcp, active=True)) is None
