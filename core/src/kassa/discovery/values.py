"""The values discovery passes around: what an interface found (``Candidate``), what a
plugin says about it (``Claim``), and the outcome (``Found``, ``Result``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import field, frozen


class ProbeRefused(RuntimeError):
    """``exchange`` in the passive round: only ids may decide there."""


@frozen
class Candidate:
    """Something an interface found. ``transport``: ``tcp`` (host, port), ``serial`` (path:
    a tty, maybe on a USB adapter whose ids are given), ``usb`` (a USB device with no tty;
    path is its ``/dev/hidrawN`` or usblp's ``/dev/usb/lpN`` when it has one, else empty)."""

    transport: str
    address: str  # "10.0.0.5:9100", "/dev/ttyUSB0", "usb 1-1.2"
    host: str = ""
    port: int = 0
    path: str = ""
    vendor_id: int | None = None
    product_id: int | None = None
    manufacturer: str = ""
    product: str = ""
    serial_number: str = ""
    interface_classes: tuple[int, ...] = ()  # USB bInterfaceClass: 2/10 CDC, 3 HID, 7 printer
    usage_pages: tuple[int, ...] = ()  # HID report descriptor usage pages (0x8C: POS scanner)
    kernel_driver: str = ""  # cdc_acm, ftdi_sio, usblp, usbhid ...

    @property
    def ids(self) -> str:
        if self.vendor_id is None:
            return ""
        return f"{self.vendor_id:04x}:{(self.product_id or 0):04x}"

    def describe(self) -> str:
        bits = [self.ids, self.manufacturer, self.product]
        return " ".join(b for b in bits if b)


@frozen
class Claim:
    """A plugin's "this is mine". ``config`` is the kassa.toml block to paste ("" when the
    plugin cannot drive the device as found: ``note`` says why). ``plugin`` is set by the
    core. ``confidence`` 0-100 decides between two claims (an exact USB id 90, a vendor id
    50, a protocol answer 80)."""

    kind: str
    model: str
    config: str = ""
    confidence: int = 50
    note: str = ""
    detail: Mapping[str, str] = field(factory=dict)
    plugin: str = ""


@frozen
class Found:
    candidate: Candidate
    claim: Claim | None
    others: tuple[Claim, ...] = ()  # passive claims that lost to ``claim``


@frozen
class Skip:
    """A candidate left alone. ``reason``: ``config`` (``detail``: the kassa.toml key that
    names it), ``held`` (the process that has it open), ``missing``, ``cannot_open`` (the
    OS's words), ``not_tty``, ``same`` (the address it was reached by already)."""

    candidate: Candidate
    reason: str
    detail: str = ""


@frozen
class Failure:
    """A claim hook that raised (or answered something else than a Claim)."""

    plugin: str
    address: str
    error: str  # "KeyError: 'x'"


@frozen
class Result:
    found: tuple[Found, ...]
    skipped: tuple[Skip, ...]
    closed: tuple[str, ...]  # host:port that refused or timed out
    failures: tuple[Failure, ...]

    def to_json(self) -> dict[str, Any]:
        def cand(c: Candidate) -> dict[str, Any]:
            return {"transport": c.transport, "address": c.address, "host": c.host,
                    "port": c.port, "path": c.path, "ids": c.ids,
                    "manufacturer": c.manufacturer, "product": c.product,
                    "serial_number": c.serial_number,
                    "interface_classes": list(c.interface_classes),
                    "usage_pages": list(c.usage_pages)}

        def claim(c: Claim) -> dict[str, Any]:
            return {"plugin": c.plugin, "kind": c.kind, "model": c.model, "config": c.config,
                    "confidence": c.confidence, "note": c.note, "detail": dict(c.detail)}

        return {"found": [{**cand(f.candidate), "claim": claim(f.claim) if f.claim else None,
                           "also": [claim(o) for o in f.others]} for f in self.found],
                "skipped": [{**cand(k.candidate), "reason": k.reason, "detail": k.detail}
                            for k in self.skipped],
                "closed": list(self.closed),
                "failures": [{"plugin": f.plugin, "address": f.address, "error": f.error}
                             for f in self.failures]}
