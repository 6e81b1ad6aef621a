"""The driver wired to its own emulator in one process (tests, the bench, the contract suite):
``start``/``stop`` run both, ``effects()`` counts what the register made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kassa.secret import Secret

from kassa_shtrih.device import ShtrihRegister
from kassa_shtrih.settings import RegisterSettings
from kassa_shtrih.sim.server import ShtrihSimulator


def settings(transport: str, tcp: str = "", serial: str = "", **kw: Any) -> RegisterSettings:
    kw.setdefault("byte_timeout", 0.2)
    kw.setdefault("answer_timeout", 3.0)
    return RegisterSettings(name="shtrih-test", tcp=tcp if transport == "tcp" else "",
                            serial=serial if transport == "pty" else "",
                            cashier_password=Secret("1"), admin_password=Secret("30"), **kw)


class SimRegister(ShtrihRegister):
    def __init__(self, state_dir: Path, transport: str = "tcp", **kw: Any) -> None:
        self.sim = ShtrihSimulator(tcp=transport == "tcp", pty=transport == "pty")
        self.sim.mute_seconds = 0.25
        self.transport = transport
        self._kw = kw
        super().__init__(settings("tcp", "127.0.0.1:1", **kw), state_dir)

    async def start(self) -> None:
        frag = (await self.sim.start())["shtrih"]["registers"][0]
        self.cfg = settings(self.transport, frag.get("tcp", ""), frag.get("serial", ""),
                            **self._kw)

    async def stop(self) -> None:
        await super().stop()
        await self.sim.stop()

    def effects(self) -> int:
        """Documents the register made: every FD plus cash in/out and X reports."""
        return self.sim.fr.doc_no
