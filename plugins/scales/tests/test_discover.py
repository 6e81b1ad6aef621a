"""Discovery against the scale emulators over ptys and TCP: each protocol claimed as
itself, by the plugin's own decoders."""

from __future__ import annotations

import tomllib

import kassa_scales
import pytest
from kassa.discovery import Candidate, PortProbe, discover
from kassa.plugins import Plugins, new_manager
from kassa_scales.discover import claim_device
from kassa_scales.settings import ScaleSettings
from kassa_scales.sim import Curve, LabelScaleEmulator, ScaleSimulator, emulator_for

pytestmark = pytest.mark.anyio


def only_scales() -> Plugins:
    return Plugins(new_manager(entry_points=False, extra=[kassa_scales]))


@pytest.mark.parametrize(("protocol", "model", "variant"), [
    ("massak", "Massa-K MK-15.2-TB (Протокол 100)", ""),
    ("cas", "CAS (PD-II)", "pdii"),
    ("cas:type1", "CAS (type 1)", "type1"),
    ("mtsics", "Mettler Toledo MT-SICS (s/n 0123456789)", ""),
])
async def test_a_scale_on_a_pty_is_claimed_with_its_protocol(protocol, model, variant):
    sim = ScaleSimulator(emulator_for(protocol, Curve.steady(1250)), pty=True)
    await sim.start()
    try:
        result = await discover(only_scales(), devices=[sim.path], serial=False, usb=False,
                                held={})
    finally:
        await sim.stop()
    (found,) = result.found
    assert found.claim is not None and found.claim.kind == "scale"
    assert found.claim.model == model
    device = ScaleSettings(**tomllib.loads(found.claim.config)["scales"]["devices"][0])
    assert device.protocol == protocol.split(":")[0] and device.serial == sim.path
    assert device.variant == variant


async def test_a_label_scale_over_tcp_is_claimed_and_a_wrong_password_said() -> None:
    emulator = LabelScaleEmulator(password="1234")
    sim = ScaleSimulator(emulator)
    await sim.start()
    try:
        result = await discover(only_scales(), hosts=["127.0.0.1"], ports=[sim.port],
                                serial=False, usb=False, held={}, locale="en")
    finally:
        await sim.stop()
    (found,) = result.found
    assert found.claim is not None and found.claim.model == "Shtrih-Print"
    assert "password" in found.claim.note
    assert emulator.writes == 0 and not emulator.plus  # nothing written to the scale
    device = ScaleSettings(**tomllib.loads(found.claim.config)["scales"]["devices"][0])
    assert device.protocol == "shtrih_print" and device.port == sim.port
    assert device.name == f"scale-127-0-0-1-{sim.port}"  # two on one converter differ


async def test_the_print_port_and_usb_devices_are_never_probed() -> None:
    c = Candidate(transport="tcp", address="127.0.0.1:9100", host="127.0.0.1", port=9100)
    assert await claim_device(c, PortProbe(c, active=True)) is None  # would refuse to connect
    u = Candidate(transport="usb", address="usb 1-1", path="/dev/hidraw0")
    assert await claim_device(u, PortProbe(u, active=True)) is None
