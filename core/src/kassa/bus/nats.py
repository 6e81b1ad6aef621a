"""NATS JetStream bus: durable, deduplicated, survives a link outage between site and centre."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import anyio.lowlevel

from kassa import codec
from kassa.bus import Deliver
from kassa.config import BusSettings
from kassa.errors import RetryLater
from kassa.model import Event

log = logging.getLogger("kassa.bus.nats")
FIRST_CONNECT_S = 10.0


class NatsBus:
    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self._nc: Any = None
        self._js: Any = None
        self._deliver: Deliver | None = None
        self.durable = "kassa-eventlog"

    async def start(self, deliver: Deliver) -> None:
        import nats
        from nats.js.api import StreamConfig

        self._deliver = deliver
        connected = False

        async def on_error(exc: Exception) -> None:  # one line, not nats-py's traceback
            if connected:
                log.warning("NATS at %s: %s", self.settings.url, exc or type(exc).__name__)

        try:
            # with reconnects unlimited nats-py retries the first connect forever: bounded here
            with anyio.fail_after(FIRST_CONNECT_S):
                self._nc = await nats.connect(self.settings.url.reveal(), connect_timeout=5,
                                              max_reconnect_attempts=-1, error_cb=on_error)
        except TimeoutError:
            raise RetryLater(f"cannot reach NATS at {self.settings.url} (no answer within "
                             f"{FIRST_CONNECT_S:.0f} s)") from None
        except Exception as exc:
            raise RetryLater(f"cannot reach NATS at {self.settings.url}: {exc}") from exc
        connected = True
        self._js = self._nc.jetstream()
        subjects = [f"{self.settings.subject}.>"]
        try:
            await self._js.add_stream(StreamConfig(name=self.settings.stream, subjects=subjects,
                                                   duplicate_window=120.0))
        except Exception:  # already there with compatible config
            await self._js.update_stream(StreamConfig(name=self.settings.stream,
                                                      subjects=subjects, duplicate_window=120.0))

    def subject(self, event: Event) -> str:
        site = "".join(c if c.isalnum() or c in "-_" else "_" for c in event.site)
        return f"{self.settings.subject}.{site}"

    async def publish(self, event: Event) -> bool:
        ack = await self._js.publish(self.subject(event), codec.dumps(event).encode(),
                                     headers={"Nats-Msg-Id": f"{event.site}:{event.source_key}"})
        return not ack.duplicate

    async def run(self) -> None:
        """Consume the stream into the event log; ack after the commit (at-least-once)."""
        sub = await self._js.pull_subscribe(f"{self.settings.subject}.>", durable=self.durable,
                                            stream=self.settings.stream)
        import nats.errors

        while True:
            try:
                msgs = await sub.fetch(256, timeout=1)
            except (TimeoutError, nats.errors.TimeoutError):
                continue  # nothing new within the second (nats-py raises either class)
            except nats.errors.Error as exc:  # a reconnect in progress: the stream keeps it
                log.warning("NATS fetch failed (%s); retrying", type(exc).__name__)
                await anyio.sleep(1)
                continue
            for msg in msgs:
                try:
                    event = codec.loads(msg.data, Event)
                except Exception:
                    log.error("unreadable event on %s kept aside", msg.subject)
                    await msg.term()
                    continue
                assert self._deliver is not None
                await self._deliver(event)
                await msg.ack()
            await anyio.lowlevel.checkpoint()

    async def stop(self) -> None:
        if self._nc is not None:
            await self._nc.drain()
            self._nc = None
