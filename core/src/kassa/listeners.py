"""``on_event`` listeners that miss nothing across a crash.

The hub hands each committed batch of new events to ``Listeners.run`` through a queue; after
the listeners have seen a batch, the ``on_event`` cursor (the event log's seq) is saved. At
start, once the hub is up (devices and feeds registered), events committed after the cursor -
persisted by a process that died before its listeners saw them - are dispatched first. So a
listener sees every event at least once, and an event around a crash possibly twice: listeners
key what they do (a video feed's sends go through the journal under the event id).

The first start with listeners and no cursor begins at the log's end (the history is not
replayed); with no listener installed nothing is written at all."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio

from kassa import eventlog
from kassa.model import Event
from kassa.store import Store
from kassa.store.cursor import Cursor

log = logging.getLogger("kassa.hub")
CURSOR = "on_event"
BATCH = 500
SAVE_EVERY = 1.0  # seconds between cursor saves while events flow
Dispatch = Callable[[Event], Awaitable[Sequence[tuple[str, BaseException]]]]


class Listeners:
    def __init__(self, store: Store, dispatch: Dispatch, *, now: Callable[[], Any],
                 enabled: bool) -> None:
        self.store = store
        self.dispatch = dispatch
        self.cursor = Cursor(store, CURSOR, now=now)
        self.enabled = enabled  # some plugin implements on_event
        self.queue: asyncio.Queue[list[tuple[int, Event]]] = asyncio.Queue()
        self.ready = anyio.Event()  # set when the hub is up: catch-up may start
        self.position = 0
        self._saved = 0  # the position last written
        self._last_save = -SAVE_EVERY  # monotonic: the first batch is saved at once
        self.caught_up = 0  # events dispatched from the log at start

    def put(self, batch: list[tuple[int, Event]]) -> None:
        if self.enabled:
            self.queue.put_nowait(batch)

    async def prepare(self) -> None:
        """Before the hub commits anything: where the listeners are. The first start with a
        listener begins at the log's end, so an event committed from now on is theirs."""
        if not self.enabled:
            return
        saved = await self.cursor.get()
        if saved is None:
            last = await eventlog.query(self.store, limit=1, newest_first=True)
            saved = last[0][0] if last else 0
            await self.cursor.save(saved)
        self.position = self._saved = saved

    async def run(self) -> None:
        if not self.enabled:
            return
        await self.ready.wait()
        try:
            await self._catch_up()
            while True:
                batch: list[tuple[int, Event]] | None = None
                wait = None if self._saved == self.position else max(
                    0.0, self._last_save + SAVE_EVERY - time.monotonic())
                with anyio.move_on_after(wait):
                    batch = await self.queue.get()
                if batch is not None:
                    await self._deliver([(seq, e) for seq, e in batch if seq > self.position])
                if time.monotonic() - self._last_save >= SAVE_EVERY:
                    await self._save()
        finally:
            if self._saved != self.position:  # a clean stop: nothing to show again
                with anyio.CancelScope(shield=True):
                    await self._save()

    async def _catch_up(self) -> None:
        while rows := await eventlog.query(self.store, after=self.position, limit=BATCH):
            self.caught_up += len(rows)
            await self._deliver(rows)
            await self._save()
        if self.caught_up:
            log.info("on_event: %d event(s) committed before the last stop reached the"
                     " listeners now", self.caught_up)

    async def _deliver(self, rows: list[tuple[int, Event]]) -> None:
        for seq, event in rows:
            for name, exc in await self.dispatch(event):
                log.error("on_event in plugin %s failed for %s: %r", name, event.id, exc)
            self.position = seq

    async def _save(self) -> None:
        """At most once a second while events flow (a write per batch held the store's
        write lock on the hot path); at least once: a lost save (a power cut, a full disk, a
        kill between saves) only means those events are seen again."""
        self._last_save = time.monotonic()
        try:
            await self.cursor.save(self.position, durable=False)
            self._saved = self.position
        except Exception as exc:
            log.warning("on_event: could not save how far the listeners got (%s); after a"
                        " restart they may see these events again", exc)
