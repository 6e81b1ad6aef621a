"""Why a listening socket could not be opened, in one sentence that names who holds the port.

The holder comes from Linux's ``/proc`` (the listening socket's inode in ``/proc/net/tcp*``,
then the process whose ``/proc/<pid>/fd`` points at it); elsewhere, or for another user's
process whose descriptors are hidden, the sentence says less rather than guess.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's "st" column


def listening_inodes(port: int, proc: Path = Path("/proc")) -> set[str]:
    """Inodes of sockets listening on ``port`` (any address, IPv4 or IPv6)."""
    found: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[3] == _LISTEN and int(cols[1].rsplit(":", 1)[1], 16) == port:
                found.add(cols[9])
    return found


def port_holder(port: int, proc: Path = Path("/proc")) -> str | None:
    """``"pid 1234 (python3)"`` for the process listening on ``port``; ``"another user's
    process"`` when the socket is there but its owner's descriptors are hidden; else None."""
    inodes = listening_inodes(port, proc)
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:  # gone meanwhile, or not ours to look at
            continue
        for fd in fds:
            try:
                if os.readlink(fd) not in targets:
                    continue
                comm = (entry / "comm").read_text().strip()
            except OSError:  # this descriptor closed meanwhile: the others still count
                continue
            return f"pid {entry.name} ({comm})"
    return "another user's process"


def bind_error(what: str, host: str, port: int, exc: OSError) -> str:
    """One sentence: ``what`` (e.g. "the admin API") cannot listen on host:port, and why."""
    where = f"{what} cannot listen on {host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        who = port_holder(port)
        return f"{where}: the port is already in use" + (f" by {who}" if who else "")
    if exc.errno == errno.EACCES:
        return f"{where}: permission denied (ports below 1024 need privileges)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{where}: {host} is not an address of this machine"
    return f"{where}: {exc.strerror or exc}"
