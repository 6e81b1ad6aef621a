"""Discovery: claimed by USB vendor id only, never probed. Kassa reaches a Sberbank terminal
through ``sb_pilot`` runs (docs/plugins/sber.md, "Transport"), which open the pin pad with
the port in their own ``pinpad.ini``; the pin pad's wire protocol is the bank's and not
documented here, and even a ``sb_pilot test`` run is the bank's process, not a status
request on the candidate's port, so nothing is written to it. The claim names the device
and gives the ``[[sber.terminals]]`` block; the port goes into ``pinpad.ini``.

Vendor ids: the usb.ids list's (linux-usb.org) VeriFone and Ingenico entries, the makers of
the pin pads Sberbank issues (VX820, iPP320); not checked against devices here."""

from __future__ import annotations

import re
from typing import Any

from kassa.discovery import Candidate, Claim

VENDORS = {0x11CA: "VeriFone", 0x0B00: "Ingenico"}
NOTES = {
    "ru": {"port": "kassa работает с терминалом через sb_pilot: укажите порт {port} в "
                   "pinpad.ini (ComPort) и путь к sb_pilot в pilot."},
    "en": {"port": "kassa drives the terminal through sb_pilot: put port {port} in its "
                   "pinpad.ini (ComPort) and sb_pilot's path in pilot."},
}


def claim_device(candidate: Candidate, probe: Any) -> Claim | None:
    maker = VENDORS.get(candidate.vendor_id or -1)
    if maker is None or candidate.transport not in ("serial", "usb"):
        return None
    locale = probe.locale if probe.locale in NOTES else "ru"
    tail = re.sub(r"[^a-z0-9]+", "-", (candidate.path.rsplit("/", 1)[-1]
                                       or candidate.address).lower()).strip("-")
    config = f'[[sber.terminals]]\nname = "sber-{tail}"\npilot = ["sb_pilot"]\n' \
             'site = ""\nstation = ""\n'
    model = " ".join(x for x in (maker, candidate.product) if x)
    return Claim(kind="terminal", model=f"{model} (UPOS)", confidence=50, config=config,
                 note=NOTES[locale]["port"].format(port=candidate.path or candidate.address))
