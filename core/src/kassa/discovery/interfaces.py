"""The core's interfaces: serial ports and USB devices from sysfs (as pyserial's
``list_ports_linux`` reads it; the core does not depend on pyserial), TCP host:ports from the
command line, and what the running hub holds (kassa.toml's device sections, device files
another process has open), which discovery must not touch."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import anyio.abc

from kassa.discovery.values import Candidate, Skip

SERIAL_GLOBS = ("ttyS*", "ttyUSB*", "ttyACM*", "ttyAMA*", "ttyXRUSB*", "rfcomm*")
MAX_HOSTS = 1024  # a /22 at most: a typo like /8 must not scan for hours


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
    ``hidraw`` node gets its path and the usage pages of its report descriptors, a printer
    bound to usblp the path of its ``/dev/usb/lpN``."""
    hidraw: dict[str, tuple[str, tuple[int, ...]]] = {}
    for node in sorted((sysfs / "class" / "hidraw").glob("hidraw*")):
        hid = (node / "device").resolve()  # .../<usb dev>/<dev>:1.0/0003:VID:PID.0001
        with contextlib.suppress(OSError):
            pages = usage_pages((hid / "report_descriptor").read_bytes())
            hidraw.setdefault(hid.parent.parent.name, (str(dev / node.name), pages))
    # a USB printer bound to usblp has a character device: /sys/class/usbmisc/lpN -> /dev/usb/lpN
    for node in sorted((sysfs / "class" / "usbmisc").glob("lp*")):
        iface = (node / "device").resolve()  # .../<usb dev>/<dev>:1.0
        hidraw.setdefault(iface.parent.name, (str(dev / "usb" / node.name), ()))
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


async def tcp_open(host: str, port: int, within: float) -> str | None:
    """The peer's address when ``host:port`` accepts a connection within ``within`` s
    (closed at once, nothing sent), else None."""
    try:
        with anyio.fail_after(within):
            stream = await anyio.connect_tcp(host, port)
    except (OSError, TimeoutError):
        return None
    try:
        peer = str(stream.extra(anyio.abc.SocketAttribute.remote_address)[0])
    finally:
        await stream.aclose()
    return peer


async def resolve_held(held: Mapping[str, str]) -> dict[str, str]:
    """``held`` plus ``ip:port`` for every ``name:port`` in it, so a device kassa.toml names
    by host name is still recognised when discovery reaches it by address."""
    out = dict(held)
    for key, where in held.items():
        host, _, port = key.rpartition(":")
        if not host or key.startswith("/") or not port.isdigit():
            continue
        try:
            ipaddress.ip_address(host)
            continue  # already an address
        except ValueError:
            pass
        with contextlib.suppress(OSError):
            for *_, addr in await anyio.getaddrinfo(host, int(port), type=socket.SOCK_STREAM):
                out.setdefault(f"{addr[0]}:{port}", where)
    return out


def cannot_open(path: str) -> tuple[str, str] | None:
    """``(reason, detail)`` when the port cannot be opened for a probe (permissions, busy:
    ``cannot_open`` with the OS's words; ``not_tty``), else None."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        return "cannot_open", "EACCES" if exc.errno == errno.EACCES else str(exc.strerror)
    try:
        if not os.isatty(fd):
            return "not_tty", ""
    finally:
        os.close(fd)
    return None


def local_candidates(*, serial: bool = True, usb: bool = True, devices: Sequence[str] = (),
                     held: Mapping[str, str] | None = None, sysfs: Path = Path("/sys"),
                     dev: Path = Path("/dev"), proc: Path = Path("/proc"),
                     ) -> tuple[list[Candidate], list[Skip]]:
    """(usable, skipped) serial ports, named device files and USB devices."""
    held = held or {}
    candidates: list[Candidate] = []
    if serial:
        candidates += serial_ports(sysfs, dev)
    # by the real path: a /dev/serial/by-id name and its ttyUSB0 are one port, probed once
    seen = {os.path.realpath(c.path) for c in candidates}
    for d in devices:
        if os.path.realpath(d) not in seen:
            candidates.append(Candidate(transport="serial", address=d, path=d))
            seen.add(os.path.realpath(d))
    if usb:
        candidates += usb_devices(sysfs, dev)
    usable: list[Candidate] = []
    skipped: list[Skip] = []
    for c in candidates:
        real = os.path.realpath(c.path) if c.path else ""
        if real and real in held:
            skipped.append(Skip(c, "config", held[real]))
        elif c.path and not os.path.exists(c.path):
            skipped.append(Skip(c, "missing"))
        elif c.path and (who := open_elsewhere(c.path, proc)):
            skipped.append(Skip(c, "held", who))
        elif c.transport == "serial" and (why := cannot_open(c.path)):
            skipped.append(Skip(c, *why))
        else:
            usable.append(c)
    return usable, skipped
