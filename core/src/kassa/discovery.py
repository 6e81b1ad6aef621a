"""Device discovery, Odoo IoT's shape: interfaces owned by the core find candidates (serial
ports, USB devices, TCP host:ports named on the command line), device plugins claim them
through the ``claim_device`` hook. Runs without a hub (``kassa devices discover``).

Safety rules, kept here so no plugin has to remember them: a port some kassa.toml device
section names, or a device file another process holds open, is skipped (the running hub
owns it); per candidate one driver at a time gets the ``Probe``; the passive round (ids only)
comes before any byte is written; every exchange is bounded by a short timeout.

Linux only for serial and USB (sysfs, as pyserial's ``list_ports_linux`` reads it; the core
does not depend on pyserial); elsewhere only TCP and explicitly named device files.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import select
import socket
import termios
import time
import tomllib
import tty
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
from attrs import evolve, field, frozen

from kassa.plugins import Plugins, await_me_maybe

SERIAL_GLOBS = ("ttyS*", "ttyUSB*", "ttyACM*", "ttyAMA*", "ttyXRUSB*", "rfcomm*")
MAX_HOSTS = 1024  # a /22 at most: a typo like /8 must not scan for hours
BAUDS = {1200: termios.B1200, 2400: termios.B2400, 4800: termios.B4800,
         9600: termios.B9600, 19200: termios.B19200, 38400: termios.B38400,
         57600: termios.B57600, 115200: termios.B115200}


class ProbeRefused(RuntimeError):
    """``exchange`` in the passive round: only ids may decide there."""


@frozen
class Candidate:
    """Something an interface found. ``transport``: ``tcp`` (host, port), ``serial`` (path:
    a tty, maybe on a USB adapter whose ids are given), ``usb`` (a USB device with no tty;
    path is its ``/dev/hidrawN`` when it has one, else empty)."""

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
class Result:
    found: tuple[Found, ...]
    skipped: tuple[tuple[Candidate, str], ...]  # (candidate, why), e.g. held by the hub
    closed: tuple[str, ...]  # host:port that refused or timed out
    failures: tuple[str, ...]  # "plugin 'x' failed on /dev/ttyS0: ValueError: ..."

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
                "skipped": [{**cand(c), "reason": why} for c, why in self.skipped],
                "closed": list(self.closed), "failures": list(self.failures)}


# --- what the running hub holds -------------------------------------------------------------
def held_by_config(path: str | Path) -> dict[str, str]:
    """``{"/dev/ttyUSB0" or "host:port": "escpos.printers[0]"}`` from a kassa.toml: every
    device file and every table with ``host`` and ``port`` is the hub's. Plugin-agnostic (the
    raw TOML, no sections): the core knows no plugin's keys. A missing file holds nothing."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    out: dict[str, str] = {}

    def walk(node: Any, where: str) -> None:
        if isinstance(node, Mapping):
            host, port = node.get("host"), node.get("port")
            if isinstance(host, str) and host and isinstance(port, int):
                out.setdefault(f"{host}:{port}", where)
            for k, v in node.items():
                walk(v, f"{where}.{k}" if where else str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")
        elif isinstance(node, str) and node.startswith("/dev/"):
            out.setdefault(os.path.realpath(node), where)

    walk(data, "")
    return out


def open_elsewhere(path: str, proc: Path = Path("/proc")) -> str | None:
    """``"pid 1234 (python3)"`` when another process has ``path`` open (it may be the hub
    under another config); None when nobody does or /proc does not tell."""
    try:
        want = os.stat(path).st_rdev
    except OSError:
        return None
    me = str(os.getpid())
    try:
        procs = [p for p in proc.iterdir() if p.name.isdigit() and p.name != me]
    except OSError:
        return None
    for p in procs:
        try:
            fds = list((p / "fd").iterdir())
        except OSError:
            continue  # gone, or another user's
        for fd in fds:
            try:
                target = os.readlink(fd)
                if target.startswith("/dev/") and os.stat(target).st_rdev == want:
                    comm = (p / "comm").read_text().strip()
                    return f"pid {p.name} ({comm})"
            except OSError:
                continue
    return None


# --- interfaces ------------------------------------------------------------------------------
def _read(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _hex(p: Path) -> int | None:
    text = _read(p)
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None


def _usb_info(usb_device: Path) -> dict[str, Any]:
    """ids and strings of a sysfs USB device directory, with its interfaces' classes."""
    classes = sorted({c for i in usb_device.glob(f"{usb_device.name}:*")
                      if (c := _hex(i / "bInterfaceClass")) is not None})
    return {"vendor_id": _hex(usb_device / "idVendor"),
            "product_id": _hex(usb_device / "idProduct"),
            "manufacturer": _read(usb_device / "manufacturer"),
            "product": _read(usb_device / "product"),
            "serial_number": _read(usb_device / "serial"),
            "interface_classes": tuple(classes)}


def _driver(p: Path) -> str:
    with contextlib.suppress(OSError):
        return os.path.basename(os.readlink(p / "driver"))
    return ""


def serial_ports(sysfs: Path = Path("/sys"), dev: Path = Path("/dev")) -> list[Candidate]:
    """Serial ports with hardware behind them (``/sys/class/tty/<name>/device``); a legacy
    ``ttyS`` on the ``platform`` bus is skipped (pyserial's rule: usually no UART there)."""
    out: list[Candidate] = []
    names = sorted({p.name for g in SERIAL_GLOBS for p in (sysfs / "class" / "tty").glob(g)})
    for name in names:
        device = sysfs / "class" / "tty" / name / "device"
        if not device.exists():
            continue
        real = device.resolve()
        subsystem = os.path.basename(os.path.realpath(real / "subsystem"))
        if subsystem == "platform":
            continue
        info: dict[str, Any] = {}
        iface = real.parent if subsystem == "usb-serial" else real
        if subsystem in ("usb-serial", "usb") and (iface.parent / "idVendor").exists():
            info = _usb_info(iface.parent)
        out.append(Candidate(transport="serial", address=str(dev / name), path=str(dev / name),
                             kernel_driver=_driver(iface), **info))
    return out


def usage_pages(descriptor: bytes) -> tuple[int, ...]:
    """The Usage Page items of a HID report descriptor (HID 1.11 §6.2.2: a global item,
    tag 0, prefix ``0x05`` one byte, ``0x06`` two bytes little-endian)."""
    pages: list[int] = []
    i = 0
    while i < len(descriptor):
        prefix = descriptor[i]
        if prefix == 0xFE:  # a long item: size in the next byte
            i += 3 + (descriptor[i + 1] if i + 1 < len(descriptor) else 0)
            continue
        size = (0, 1, 2, 4)[prefix & 0x03]
        if prefix & 0xFC == 0x04 and size:
            pages.append(int.from_bytes(descriptor[i + 1:i + 1 + size], "little"))
        i += 1 + size
    return tuple(dict.fromkeys(pages))


def usb_devices(sysfs: Path = Path("/sys"), dev: Path = Path("/dev")) -> list[Candidate]:
    """USB devices without a tty (those are serial candidates), hubs left out; one with a
    ``hidraw`` node gets its path and the usage pages of its report descriptors."""
    hidraw: dict[str, tuple[str, tuple[int, ...]]] = {}
    for node in sorted((sysfs / "class" / "hidraw").glob("hidraw*")):
        hid = (node / "device").resolve()  # .../<usb dev>/<dev>:1.0/0003:VID:PID.0001
        with contextlib.suppress(OSError):
            pages = usage_pages((hid / "report_descriptor").read_bytes())
            hidraw.setdefault(hid.parent.parent.name, (str(dev / node.name), pages))
    with_tty = {p.resolve().parent.name for p in (sysfs / "class" / "tty").glob("*/device")
                if (p.resolve().parent / "idVendor").exists()}
    with_tty |= {p.resolve().parent.parent.name
                 for p in (sysfs / "class" / "tty").glob("*/device")
                 if (p.resolve().parent.parent / "idVendor").exists()}
    out: list[Candidate] = []
    for d in sorted((sysfs / "bus" / "usb" / "devices").iterdir()
                    if (sysfs / "bus" / "usb" / "devices").is_dir() else []):
        if ":" in d.name or not (d / "idVendor").exists() or d.name.startswith("usb"):
            continue
        if _hex(d / "bDeviceClass") == 0x09 or d.resolve().name in with_tty:
            continue  # a hub; a tty adapter is a serial candidate
        info = _usb_info(d)
        path, pages = hidraw.get(d.resolve().name, ("", ()))
        drivers = sorted({_driver(i) for i in d.glob(f"{d.name}:*")} - {""})
        out.append(Candidate(transport="usb", address=f"usb {d.name}", path=path,
                             usage_pages=pages, kernel_driver=",".join(drivers), **info))
    return out


def expand_hosts(hosts: Iterable[str]) -> list[str]:
    """Host names, addresses and networks (``10.0.0.0/28``: its hosts) in order, once."""
    out: list[str] = []
    for h in hosts:
        h = h.strip()
        if "/" in h:
            try:
                net = ipaddress.ip_network(h, strict=False)
            except ValueError as exc:
                raise ValueError(f"{h!r} is not a network ({exc})") from None
            if net.num_addresses > MAX_HOSTS + 2:
                raise ValueError(f"{h} has {net.num_addresses} addresses; give at most "
                                 f"{MAX_HOSTS} (a /22) at once")
            out += [str(a) for a in (net.hosts() if net.num_addresses > 2 else net)]
        elif h:
            out.append(h)
    return list(dict.fromkeys(out))


async def tcp_open(host: str, port: int, within: float) -> bool:
    """Does ``host:port`` accept a connection within ``within`` s (closed at once, nothing
    sent)?"""
    try:
        with anyio.fail_after(within):
            stream = await anyio.connect_tcp(host, port)
    except (OSError, TimeoutError):
        return False
    await stream.aclose()
    return True


# --- the probe -------------------------------------------------------------------------------
class PortProbe:
    """``kassa.hookspecs.devices.Probe`` over one candidate's port, for one driver's call."""

    def __init__(self, candidate: Candidate, *, active: bool, locale: str = "ru",
                 wait: float = 0.3) -> None:
        self.candidate, self.active, self.locale, self.wait = candidate, active, locale, wait
        self.sent = 0  # exchanges made (the report shows who touched a port)
        self._sock: socket.socket | None = None
        self._fd: int | None = None
        self._baud: int | None = None

    async def exchange(self, data: bytes, *, size: int = 0, until: bytes = b"",
                       wait: float | None = None, baudrate: int = 9600) -> bytes:
        if not self.active:
            raise ProbeRefused("the passive round decides from ids only")
        if not self.candidate.host and not self.candidate.path:
            raise ProbeRefused(f"{self.candidate.address} has no port to talk to")
        wait = min(wait or self.wait, 5.0)  # short, whatever a driver asks
        self.sent += 1
        return await anyio.to_thread.run_sync(self._exchange, data, size, until, wait, baudrate)

    def _exchange(self, data: bytes, size: int, until: bytes, wait: float,
                  baudrate: int) -> bytes:
        fd = self._open(baudrate, wait)
        if data and self._sock is not None:
            self._drain_socket()
            self._sock.sendall(data)
        elif data:
            termios.tcflush(fd, termios.TCIFLUSH)  # drop what a previous probe provoked
            os.write(fd, data)
        got = b""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                break
            chunk = self._sock.recv(4096) if self._sock is not None else os.read(fd, 4096)
            if not chunk:
                break  # the peer hung up
            got += chunk
            if (size and len(got) >= size) or (until and until in got):
                break
        return got

    def _open(self, baudrate: int, wait: float) -> int:
        c = self.candidate
        if c.host:
            if self._sock is None:
                self._sock = socket.create_connection((c.host, c.port), timeout=wait)
            return self._sock.fileno()
        if self._fd is None:
            self._fd = os.open(c.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        if self._baud != baudrate:
            fd, speed = self._fd, BAUDS.get(baudrate)
            if speed is None:
                raise ValueError(f"baud rate {baudrate} is not one of {sorted(BAUDS)}")
            tty.setraw(fd)
            attrs = termios.tcgetattr(fd)
            attrs[2] = (attrs[2] & ~(termios.CSTOPB | termios.PARENB)) | termios.CLOCAL \
                | termios.CREAD
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
            self._baud = baudrate
        return self._fd

    def _drain_socket(self) -> None:
        assert self._sock is not None
        self._sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while self._sock.recv(4096):
                pass
        self._sock.setblocking(True)

    def close(self) -> None:
        sock, fd, self._sock, self._fd, self._baud = self._sock, self._fd, None, None, None
        if sock is not None:
            sock.close()
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)


# --- claiming --------------------------------------------------------------------------------
def _rank(c: Claim) -> tuple[int, str]:
    return (-c.confidence, c.plugin)


async def claim(candidate: Candidate, claimers: Sequence[tuple[str, Any]], *,
                locale: str = "ru", wait: float = 0.3,
                failures: list[str] | None = None) -> Found:
    """Ask every claimer passively; if nobody claims, actively one at a time (name order)
    until one does. A claimer that raises is one line in ``failures``, never the end."""
    failures = failures if failures is not None else []
    order = sorted(claimers, key=lambda pc: pc[0])
    broken: set[str] = set()  # failed once: not given the port, not reported twice

    async def ask(plugin: str, fn: Any, active: bool) -> Claim | None:
        probe = PortProbe(candidate, active=active, locale=locale, wait=wait)
        try:
            got = await await_me_maybe(lambda: fn(candidate=candidate, probe=probe))
        except ProbeRefused:
            return None  # a driver that probes in the passive round simply has no claim yet
        except Exception as exc:  # a driver's bug: reported, discovery goes on
            broken.add(plugin)
            failures.append(f"plugin {plugin!r} failed on {candidate.address}: "
                            f"{type(exc).__name__}: {exc}")
            return None
        finally:
            await anyio.to_thread.run_sync(probe.close)
        if got is None:
            return None
        if not isinstance(got, Claim):
            failures.append(f"plugin {plugin!r} answered {type(got).__name__} for "
                            f"{candidate.address}, not a Claim")
            return None
        return evolve(got, plugin=plugin)

    passive = [c for plugin, fn in order if (c := await ask(plugin, fn, False))]
    if passive:
        ranked = sorted(passive, key=_rank)
        return Found(candidate, ranked[0], tuple(ranked[1:]))
    if candidate.transport == "usb" and not candidate.path:
        return Found(candidate, None)  # nothing to talk to
    for plugin, fn in order:
        if plugin in broken:
            continue
        got = await ask(plugin, fn, True)
        if got is not None:
            return Found(candidate, got)
    return Found(candidate, None)


def local_candidates(*, serial: bool = True, usb: bool = True, devices: Sequence[str] = (),
                     held: Mapping[str, str] | None = None, sysfs: Path = Path("/sys"),
                     dev: Path = Path("/dev"), proc: Path = Path("/proc"),
                     ) -> tuple[list[Candidate], list[tuple[Candidate, str]]]:
    """(usable, skipped with why) serial ports, named device files and USB devices."""
    held = held or {}
    candidates: list[Candidate] = []
    if serial:
        candidates += serial_ports(sysfs, dev)
    seen = {c.path for c in candidates}
    for d in devices:
        if d not in seen:
            candidates.append(Candidate(transport="serial", address=d, path=d))
            seen.add(d)
    if usb:
        candidates += usb_devices(sysfs, dev)
    usable: list[Candidate] = []
    skipped: list[tuple[Candidate, str]] = []
    for c in candidates:
        real = os.path.realpath(c.path) if c.path else ""
        if real and real in held:
            skipped.append((c, f"kassa.toml: {held[real]}"))
        elif c.path and not os.path.exists(c.path):
            skipped.append((c, "no such device file"))
        elif c.path and (who := open_elsewhere(c.path, proc)):
            skipped.append((c, f"open by {who}"))
        else:
            usable.append(c)
    return usable, skipped


async def discover(plugins: Plugins, *, hosts: Sequence[str] = (), ports: Sequence[int] = (),
                   serial: bool = True, usb: bool = True, devices: Sequence[str] = (),
                   held: Mapping[str, str] | None = None, locale: str = "ru",
                   wait: float = 0.3, connect_within: float = 0.5,
                   sysfs: Path = Path("/sys"), dev: Path = Path("/dev"),
                   proc: Path = Path("/proc"), parallel: int = 8) -> Result:
    """Find candidates on every interface asked for, skip what the hub holds, claim the
    rest (different ports in parallel, one driver at a time per port). ``wait``: seconds a
    probe waits for an answer; ``connect_within``: for a TCP connect."""
    held = dict(held or {})
    usable, skipped = await anyio.to_thread.run_sync(lambda: local_candidates(
        serial=serial, usb=usb, devices=devices, held=held, sysfs=sysfs, dev=dev, proc=proc))
    closed: list[str] = []
    limit = anyio.Semaphore(parallel)

    async def check(host: str, port: int) -> None:
        address = f"{host}:{port}"
        c = Candidate(transport="tcp", address=address, host=host, port=port)
        if address in held:
            skipped.append((c, f"kassa.toml: {held[address]}"))
            return
        async with limit:
            if await tcp_open(host, port, connect_within):
                usable.append(c)
            else:
                closed.append(address)

    async with anyio.create_task_group() as tg:
        for host in expand_hosts(hosts):
            for port in ports:
                tg.start_soon(check, host, port)
    claimers = plugins.device_claimers()
    failures: list[str] = []
    found: dict[str, Found] = {}

    async def one(c: Candidate) -> None:
        async with limit:
            found[c.address] = await claim(c, claimers, locale=locale, wait=wait,
                                           failures=failures)

    async with anyio.create_task_group() as tg:
        for c in usable:
            tg.start_soon(one, c)
    local = {c.address: i for i, c in enumerate(usable) if c.transport != "tcp"}
    return Result(found=tuple(sorted(found.values(), key=lambda f: (
                      f.claim is None, local.get(f.candidate.address, len(local)),
                      f.candidate.host, f.candidate.port))),
                  skipped=tuple(skipped), closed=tuple(sorted(closed)),
                  failures=tuple(sorted(failures)))


__all__ = ["Candidate", "Claim", "Found", "PortProbe", "ProbeRefused", "Result", "claim",
           "discover", "expand_hosts", "held_by_config", "local_candidates", "open_elsewhere",
           "serial_ports",
           "usage_pages", "usb_devices"]
