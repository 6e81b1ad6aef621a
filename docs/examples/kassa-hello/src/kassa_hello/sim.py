"""A door counter on 127.0.0.1: SINCE <n> -> one line per later guest, then END."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
from anyio.abc import SocketAttribute, SocketStream


class HelloSim:
    name = "hello"

    def __init__(self, site: str = "hello1") -> None:
        self.site = site
        self.guests: list[datetime] = []
        self.port = 0
        self._scope: anyio.CancelScope | None = None

    def arrive(self) -> int:
        """A guest walks in; their number."""
        self.guests.append(datetime.now(UTC))
        return len(self.guests)

    async def start(self) -> dict[str, Any]:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = listener.extra(SocketAttribute.local_port)
        ready = anyio.Event()

        async def serve() -> None:
            with anyio.CancelScope() as self._scope:
                ready.set()
                await listener.serve(self.answer)

        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        self._tg.start_soon(serve)
        await ready.wait()
        return {"sites": [{"code": self.site, "name": "Hello",
                           "hello": {"port": self.port, "poll_interval": 0.2}}]}

    async def answer(self, conn: SocketStream) -> None:
        async with conn:
            request = (await conn.receive()).decode().strip()
            verb, _, since = request.partition(" ")
            if verb != "SINCE" or not since.isdigit():
                await conn.send(b"ERROR expected SINCE <n>\n")
                return
            lines = [f"{n} {at.isoformat()}\n"
                     for n, at in enumerate(self.guests, 1) if n > int(since)]
            await conn.send(("".join(lines) + "END\n").encode())

    async def stop(self) -> None:
        if self._scope is not None:
            self._scope.cancel()
            await self._tg.__aexit__(None, None, None)
            self._scope = None
