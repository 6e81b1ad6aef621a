"""``kassa sber simulate``: a working folder for the sb_pilot emulator (sim_pilot.py, which
the hub runs per operation) and a control server that scripts the next outcome, one line per
command over TCP (``printf 'decline 51\\n' | nc 127.0.0.1 7790``):

    approve | decline [rcode] [message] | cancel | timeout | nolink | hang
    crash | garbage | approve-hang      approve, then die / write a garbled e / hang
    delay SECONDS                       the next operation waits first (PIN entry)
    pinpad on|off                       TestPinPad and every run answer 99 while off
    state                               charges, effects, queued outcomes, the tape's length
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kassa_sber import sim_tape as tape

_SIMPLE = {"approve": {"do": "approve"}, "cancel": {"do": "cancel"},
           "timeout": {"do": "timeout"}, "nolink": {"do": "nolink"}, "hang": {"do": "hang"},
           "crash": {"do": "approve", "after": "crash"},
           "garbage": {"do": "approve", "after": "garbage"},
           "approve-hang": {"do": "approve", "after": "hang"}}


def emulator_argv() -> list[str]:
    """The ``pilot`` setting that runs this emulator with the hub's Python."""
    return [sys.executable, "-m", "kassa_sber.sim_pilot"]


def command(folder: Path, line: str) -> str:
    """Apply one control line to the emulator in ``folder``; the one-line reply."""
    words = line.split()
    if not words:
        return "error: empty command"
    verb, rest = words[0].lower(), words[1:]
    if verb in _SIMPLE:
        tape.push(folder, dict(_SIMPLE[verb]))
        return f"ok: next operation: {verb}"
    if verb == "decline":
        rcode = rest[0] if rest and rest[0].isdigit() and len(rest[0]) <= 2 else "05"
        message = " ".join(rest[1:]) or "ОТКАЗ"
        tape.push(folder, {"do": "decline", "rcode": rcode, "message": message})
        return f"ok: next operation declined with {rcode}"
    if verb == "delay" and rest:
        try:
            seconds = float(rest[0])
        except ValueError:
            return f"error: delay needs seconds, not {rest[0]!r}"
        tape.push(folder, {"do": "approve", "delay": seconds})
        return f"ok: next operation approved after {seconds:g} s"
    if verb == "pinpad" and rest and rest[0] in ("on", "off"):
        tape.set_pinpad(folder, rest[0] == "on")
        return f"ok: pin pad {rest[0]}"
    if verb == "state":
        return "ok: " + json.dumps(summary(folder), ensure_ascii=False)
    return f"error: unknown command {verb!r} (approve, decline, cancel, timeout, nolink," \
           " hang, crash, garbage, approve-hang, delay, pinpad, state)"


def summary(folder: Path) -> dict[str, Any]:
    st = tape.load(folder)
    return {"charges": tape.charges(folder), "effects": tape.effects(folder),
            "queued": [o.get("do") for o in st["script"]], "tape": len(st["tape"]),
            "batch": st["batch"], "pinpad": st["pinpad"]}


class SberSimulator:
    """The emulator's folder plus its control server on ``host:port``. The server is
    asyncio's own (callbacks, no task group), so ``stop`` works from any task."""

    def __init__(self, work_dir: Path, *, host: str = "127.0.0.1", port: int = 0,
                 name: str = "sber-sim") -> None:
        self.work_dir = work_dir
        self.host = host
        self.port = port
        self.name = name
        self._server: asyncio.Server | None = None

    async def start(self) -> Mapping[str, Any]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return {"sber": {"terminals": [{"name": self.name, "pilot": emulator_argv(),
                                        "work_dir": str(self.work_dir), "timeout": 60}]}}

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
                     ) -> None:
        try:
            while line := await reader.readline():
                reply = command(self.work_dir, line.decode("utf-8", "replace"))
                writer.write((reply + "\n").encode("utf-8"))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
