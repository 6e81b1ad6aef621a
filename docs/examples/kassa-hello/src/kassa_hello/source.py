"""The door counter of one site, read as an EventSource."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
from kassa.hookspecs.events import Emit
from kassa.model import Event

from kassa_hello.settings import HelloSettings


class HelloSource:
    name = "hello"

    def __init__(self, site: str, settings: HelloSettings) -> None:
        self.site = site
        self.settings = settings
        self.last = 0  # the last guest read
        self.error: str | None = None

    async def run(self, emit: Emit) -> None:
        while True:
            try:
                for guest, at in await self.read(self.last):
                    await emit(Event.of(site=self.site, kind="hello_guest",
                                        source_key=f"guest:{guest}", occurred_at=at))
                    self.last = guest
                self.error = None
            except (OSError, ValueError) as exc:  # the counter is away: say so, try again
                self.error = f"door counter {self.settings.host}:{self.settings.port}: {exc}"
            await anyio.sleep(self.settings.poll_interval)

    async def read(self, since: int) -> list[tuple[int, datetime]]:
        with anyio.fail_after(5):
            async with await anyio.connect_tcp(self.settings.host, self.settings.port) as conn:
                await conn.send(f"SINCE {since}\n".encode())
                data = b""
                while not data.endswith(b"END\n"):
                    data += await conn.receive()
        guests = []
        for line in data.decode().splitlines()[:-1]:
            guest, at = line.split(" ", 1)
            guests.append((int(guest), datetime.fromisoformat(at)))
        return guests

    def health(self) -> dict[str, Any]:
        return {"online": self.error is None, "error": self.error, "last_guest": self.last}
