"""Site -> centre relay: a site node keeps its own event log and forwards it to the centre's
JetStream stream when the link is up, catching up from a persisted cursor when it returns.

The site needs no public IP (it only connects out). Each event is published with
``Nats-Msg-Id = site:source_key``; the centre's event log is unique on the same pair, so a
replay after a crash between publish and cursor update is harmless.
"""

from __future__ import annotations

import logging
from typing import Any

import anyio

from kassa import codec, eventlog, extras
from kassa.config import RelaySettings
from kassa.hookspecs.app import Clock
from kassa.store import Store
from kassa.store.cursor import Cursor

log = logging.getLogger("kassa.relay")
CURSOR = "relay"


class Relay:
    def __init__(self, store: Store, settings: RelaySettings, *, clock: Clock) -> None:
        extras.require("nats", "relay.url")
        self.store = store  # the site's event log and the cursor live there
        self.clock = clock
        self.cursor = Cursor(store, CURSOR, now=clock.now)
        self.settings = settings
        self.wake = anyio.Event()
        self.sent = 0
        self.waiting = 0
        self.connected = False

    async def position(self) -> int:
        return await self.cursor.get() or 0

    async def save(self, position: int) -> None:
        await self.cursor.save(position)

    def subject(self, site: str) -> str:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in site)
        return f"{self.settings.subject}.{safe}"

    async def run(self) -> None:
        """Forever: connect, send everything after the cursor, wait for more."""
        import nats

        delay = 1.0
        while True:
            nc: Any = None
            try:
                nc = await nats.connect(self.settings.url.reveal(), connect_timeout=3,
                                        max_reconnect_attempts=0, allow_reconnect=False)
                js = nc.jetstream()
                self.connected = True
                if delay > 1.0:
                    log.info("centre reachable again; catching up")
                delay = 1.0
                await self._pump(js)
            except Exception as exc:  # link down, centre restarting: wait and catch up
                if self.connected or delay == 1.0:
                    log.warning("centre unreachable (%s); events stay here and follow later",
                                type(exc).__name__)
                self.connected = False
                await anyio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max)
            finally:
                if nc is not None:
                    with anyio.CancelScope(shield=True):
                        try:
                            await nc.close()
                        except Exception:
                            pass

    async def _pump(self, js: Any) -> None:
        while True:
            pos = await self.position()
            rows = await eventlog.query(self.store, after=pos, limit=self.settings.batch)
            if not rows:
                self.waiting = 0
                self.wake = anyio.Event()
                with anyio.move_on_after(5):
                    await self.wake.wait()
                continue
            for seq, event in rows:
                await js.publish(self.subject(event.site), codec.dumps(event).encode(),
                                 headers={"Nats-Msg-Id": f"{event.site}:{event.source_key}"},
                                 timeout=5)
                self.sent += 1
                pos = seq
            await self.save(pos)

    def notify(self) -> None:
        self.wake.set()

    def health(self) -> dict[str, Any]:
        return {"online": self.connected, "sent": self.sent}
