"""Device hooks: printers, scales, scanners, card terminals and video systems at a till.

The hub starts every device, watches ``status()`` (a plain call: what the driver knows now,
cheap enough for the console to poll) and restarts a device that fails. Actions that must not
happen twice (a print, a card payment) go through ``hub.devices`` / ``hub.payments`` and the
action journal under a ``key``; a device never deduplicates on its own. ``kind`` is one of
``printer``, ``scale``, ``scanner``, ``terminal``, ``video`` (or a third party's own).

Error mapping (situation: what the device does -> what the devices service does):

- ``start()`` fails (port busy, host unreachable): raises anything -> the device is
  ``UNAVAILABLE`` with the reason (console, ``/api/plugins``, an alert) and retried;
- printer out of paper, cover open, offline: ``print`` raises ``RetryLater`` -> the job stays
  pending with its key, an alert goes out; ``status()`` says ``DEGRADED`` or ``DOWN``;
- a job the printer can never print (bad raw bytes, unsupported feature): ``Permanent(reason)``;
- no answer after a job was sent: any other exception (never ``RetryLater``, which says
  nothing happened) -> ``unknown``; ``lookup(key)`` decides:
  ``True`` printed, ``False`` not printed, ``None`` the printer cannot know (ESC/POS keeps no
  record) -> the service reprints marked as a repeat only where policy allows;
- scale unstable or overloaded: no error, ``Weight(stable=False)`` / ``overload=True`` -> the
  till does not sell it; scale not answering: ``RetryLater``;
- video system link down: ``send`` raises ``RetryLater`` -> kept and sent again in order.
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec
from kassa.hookspecs.payments import CardTerminal

if TYPE_CHECKING:
    from kassa.discovery import Candidate, Claim
    from kassa.hookspecs.app import HubAPI
    from kassa.model import DeviceStatus, PosEvent, PrintJob, Scan, Weight


@runtime_checkable
class Device(Protocol):
    name: str
    kind: str  # printer | scale | scanner | terminal | video | ...

    async def start(self) -> None:
        """Connect (open the port, the socket); raise if it cannot."""
        ...

    async def stop(self) -> None:
        """Disconnect; must not raise."""
        ...

    def status(self) -> DeviceStatus:
        """Health as the driver knows it now; no I/O."""
        ...


@runtime_checkable
class Printer(Device, Protocol):
    async def print(self, job: PrintJob, key: str) -> None:
        """Print ``job`` (all its copies); return when the printer took it."""
        ...

    async def lookup(self, key: str) -> bool | None:
        """Was the job with ``key`` printed: True, False, or None if it cannot be known."""
        ...


@runtime_checkable
class Scale(Device, Protocol):
    async def read(self) -> Weight:
        """The current weight (wait briefly for a stable one if the protocol can)."""
        ...


@runtime_checkable
class Scanner(Device, Protocol):
    def scans(self) -> AsyncIterator[Scan]:
        """Codes as they are read, until the device stops."""
        ...


@runtime_checkable
class Terminal(Device, CardTerminal, Protocol):
    """A card terminal the hub also runs as a device (a pin pad on a port); return it from
    ``register_devices`` (``register_payment_methods`` is for terminals without a lifecycle).

    Its ``status()`` is the Device's plain call (the hub and console poll it); the async
    ``CardTerminal.status`` of a terminal without a lifecycle does not apply: code that
    may hold either checks ``isinstance(t, Device)`` before awaiting ``status()``."""

    def status(self) -> DeviceStatus:  # type: ignore[override]  # the device's plain call wins
        ...


@runtime_checkable
class VideoSink(Device, Protocol):
    async def send(self, event: PosEvent, key: str) -> None:
        """Deliver one till event to the video system (overlay, search by receipt)."""
        ...


@hookspec
def register_devices(hub: HubAPI) -> Sequence[Device]:
    """Called at start. Return devices (``Printer``, ``Scale``, ``Scanner``, ``Terminal``,
    ``VideoSink`` or a plain ``Device``); the hub starts, supervises and stops them. May be
    async. A device whose ``start()`` fails is marked unavailable and retried with backoff
    (``device_unavailable`` / ``device_available`` events); the hub keeps running."""


@runtime_checkable
class Probe(Protocol):
    """The core's I/O to one discovery candidate, lent to one driver at a time (no two
    drivers ever talk to one port at once). In the passive round ``active`` is False and
    ``exchange`` raises ``kassa.discovery.ProbeRefused``: claim from the candidate's USB ids
    and strings only."""

    active: bool
    locale: str  # "ru" | "en": the language of a claim's ``note``

    async def exchange(self, data: bytes, *, size: int = 0, until: bytes = b"",
                       wait: float | None = None, baudrate: int = 9600) -> bytes:
        """Send ``data`` (after dropping unread input; ``b""`` sends nothing and reads on)
        and return what arrives until ``size`` bytes, the ``until`` terminator, or ``wait``
        seconds (the core's short default when None, never over 5): maybe ``b""``. Only a
        status request belongs here, never a print or a charge. A serial port is set to
        ``baudrate`` 8N1 first; a TCP connection stays open for the rest of this call."""
        ...


@hookspec
def claim_device(candidate: Candidate, probe: Probe) -> Claim | None:
    """Called by ``kassa devices discover`` (no hub runs) for each candidate an interface
    found: a serial port, a USB device, a TCP host:port from the command line. Return a
    ``kassa.discovery.Claim`` (kind, model, the TOML block that adds the device) when the
    device is one this plugin drives, else None. May be async.

    Two rounds per candidate: first every plugin with a passive ``probe`` (USB vendor and
    product ids, interface classes, HID usage pages); only when nobody claims, an active
    round, one plugin at a time in plugin-name order, stopping at the first claim (serial
    ports and TCP only: a USB device without a serial port gets the passive round). Probes
    are short, read-only status requests. A claim hook that raises, or takes over 10 s for
    one candidate, is reported in one line and discovery goes on; two claims for one
    candidate are resolved by ``confidence``, then plugin name."""
