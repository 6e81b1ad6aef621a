"""``VideoFeed``: the kassa ``VideoSink`` for one video system input (one TCP port).

``send`` encodes the event and appends it to the feed's on-disk queue (``Buffer``); it
returns once the row is on disk, so the journal's "done" means "kept", never "hoped". A
background task owns the TCP link: it connects (the POS is the client in every protocol of
ofd_video.md part B), writes the queue in order, drops what was written and, while the video
system is away, reconnects with backoff. Health stays DEGRADED while it is away (events are
safe on disk, the hub must keep calling ``send``); DOWN only when the disk queue fails.

None of these protocols acknowledges anything. A second task reads the socket so a video
system that hangs up is seen before the next write, not one event later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import SocketStream
from kassa.errors import RetryLater
from kassa.model import DeviceStatus, Event, Health, PosEvent

from kassa_video.buffer import Buffer, Item
from kassa_video.encoders import encode
from kassa_video.kinds import BACKLOG, CAUGHT_UP
from kassa_video.settings import FeedSettings
from kassa_video.texts import say

log = logging.getLogger("kassa.video")
BATCH = 200  # rows per write: one syscall for a burst, a small window for a hang-up
IDLE_CHECK = 5.0  # seconds between backlog checks while nothing happens
LINK_ERRORS = (OSError, TimeoutError, anyio.BrokenResourceError, anyio.ClosedResourceError,
               anyio.EndOfStream)
Emit = Callable[[Event], Awaitable[Any]]


class PeerClosed(ConnectionError):
    pass


class UdpLink:
    """A connected UDP socket of our own: Linux reports an ICMP "port unreachable" as
    ``ConnectionRefusedError`` on the next ``send``, which anyio's datagram transport
    swallows (it only records it). Nothing reads from it, so the error waits for us."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    @classmethod
    async def open(cls, host: str, port: int) -> UdpLink:
        family, kind, proto, _, addr = (await anyio.getaddrinfo(
            host, port, type=socket.SOCK_DGRAM))[0]
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            sock.connect(addr)
        except OSError:
            sock.close()
            raise
        return cls(sock)

    async def send(self, data: bytes) -> None:
        while True:
            try:
                self.sock.send(data)
                return
            except BlockingIOError:  # the send buffer is full: rare, and brief
                await anyio.sleep(0.005)

    async def aclose(self) -> None:
        self.sock.close()


class VideoFeed:
    kind = "video"

    def __init__(self, settings: FeedSettings, *, data_dir: Path, emit: Emit | None = None,
                 now: Callable[[], datetime] | None = None, locale: str = "ru") -> None:
        self.settings = settings
        self.locale = settings.locale or locale
        self.name = settings.name
        self.site = settings.site or None
        self.path = Path(settings.buffer) if settings.buffer else (
            data_dir / "video" / f"{settings.name}.sqlite")
        self.emit = emit
        self.now = now or (lambda: datetime.now(UTC))
        self.buffer: Buffer | None = None
        self.task: asyncio.Task[None] | None = None
        self.wake = anyio.Event()
        self.connected = False
        self.health = Health.DEGRADED
        self.message: str | None = self._say("video.connecting")
        # rows on disk not yet written = base + accepted - acked, kept without I/O; an ack
        # may overtake the count of its own append, so the sum is read clamped
        self.base = 0
        self.acked = 0
        self.oldest: datetime | None = None
        self.episode: str | None = None  # when the current backlog alert's oldest row queued
        self.accepted = 0
        self.written = 0  # rows written out by this process
        self.connections = 0
        self.last_written_at: datetime | None = None
        self.last_error: str | None = None

    def _say(self, key: str, **kw: object) -> str:
        return say(key, self.locale, name=self.name, where=self.settings.where, **kw)

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        try:
            self.buffer = await anyio.to_thread.run_sync(Buffer, self.path)
            self.base, self.oldest = await anyio.to_thread.run_sync(self.buffer.pending)
            self.accepted = self.acked = 0
            self.episode = await anyio.to_thread.run_sync(self.buffer.meta, "episode")
        except (sqlite3.Error, OSError) as exc:
            self._disk(exc)
            raise RuntimeError(self.message) from exc
        # not worth a warning: it is connecting (a refusal will be one)
        self.health, self.message = Health.DEGRADED, self._say("video.connecting")
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        buffer, self.buffer = self.buffer, None
        if buffer is not None:
            with contextlib.suppress(Exception):  # stop must not raise
                await anyio.to_thread.run_sync(buffer.close)
        self.connected = False

    def status(self) -> DeviceStatus:
        age = self.backlog_age()
        detail = {"where": self.settings.where, "protocol": self.settings.protocol,
                  "connected": self.connected, "backlog": self.backlog,
                  "backlog_age_s": round(age, 1) if age is not None else None,
                  "accepted": self.accepted, "written": self.written,
                  "written_total": self.buffer.sent if self.buffer is not None else None,
                  "last_written_at": self.last_written_at.isoformat()
                  if self.last_written_at else None, "last_error": self.last_error}
        health, message = self.health, self.message
        if health is Health.OK and self.episode is not None:
            health = Health.DEGRADED
            message = self._say("video.backlog", minutes=int((age or 0) // 60),
                                count=self.backlog)
        return DeviceStatus(health=health, message=message, detail=detail)

    @property
    def backlog(self) -> int:
        return max(0, self.base + self.accepted - self.acked)

    def backlog_age(self) -> float | None:
        if not self.backlog or self.oldest is None:
            return None
        return max(0.0, (self.now() - self.oldest).total_seconds())

    # --- the sink ------------------------------------------------------------------------
    async def send(self, event: PosEvent, key: str) -> None:
        buffer = self.buffer
        if buffer is None:
            raise RetryLater(self._say("video.not_started"), after=5)
        payload = encode(event, self.settings)
        queued = self.now()
        try:
            await anyio.to_thread.run_sync(buffer.append, key, str(event.kind), queued, payload)
        except (sqlite3.Error, OSError) as exc:  # rolled back: nothing was kept
            self._disk(exc)
            raise RetryLater(self.message or "", after=5) from exc
        self.accepted += 1
        if self.oldest is None and self.backlog:
            self.oldest = queued
        self.wake.set()

    # --- the link ------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = 0.2
        while True:
            try:
                with anyio.fail_after(self.settings.connect_timeout):
                    stream: SocketStream | UdpLink = await (
                        UdpLink.open(self.settings.host, self.settings.port)
                        if self.settings.transport == "udp" else
                        anyio.connect_tcp(self.settings.host, self.settings.port))
            except (OSError, TimeoutError) as exc:
                self._away("video.unreachable", exc)
                await self._idle(delay)
                delay = min(delay * 2, self.settings.reconnect_max)
                continue
            delay = 0.2
            self.connections += 1
            self.connected = True
            self._set(Health.OK, None)
            log.info("video feed %s connected to %s", self.name, self.settings.where)
            try:
                if isinstance(stream, UdpLink):
                    await self._pump_udp(stream)
                else:
                    await self._pump(stream)
            except LINK_ERRORS as exc:
                self._away("video.lost", exc)
            except sqlite3.Error as exc:
                self._disk(exc)
                return  # DOWN: the hub restarts the feed
            except Exception as exc:  # a bug: say so, and let the hub restart the feed
                log.exception("video feed %s stopped", self.name)
                self.last_error = str(exc) or type(exc).__name__
                self._set(Health.DOWN, self._say("video.failed", reason=self.last_error))
                return
            finally:
                self.connected = False
                with anyio.CancelScope(shield=True):
                    await stream.aclose()

    async def _pump(self, stream: SocketStream) -> None:
        assert self.buffer is not None
        closed = anyio.Event()
        watcher = asyncio.get_running_loop().create_task(self._watch_peer(stream, closed))
        try:
            while True:
                if closed.is_set():
                    raise PeerClosed("the video system closed the connection")
                self.wake = anyio.Event()  # before reading: an append after it wakes us
                items = await anyio.to_thread.run_sync(self.buffer.head, BATCH)
                if not items:
                    if not self.backlog:
                        self.oldest = None
                    await self._check_backlog()
                    with anyio.move_on_after(IDLE_CHECK):
                        await self.wake.wait()
                    continue
                self.oldest = items[0].queued_at
                await self._write(stream, items)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watcher

    async def _pump_udp(self, sock: UdpLink) -> None:
        """One datagram per event (B.1). A refused datagram (ICMP port unreachable) shows
        only as an error on a later send: the batch is then sent again from its start."""
        assert self.buffer is not None
        while True:
            self.wake = anyio.Event()
            items = await anyio.to_thread.run_sync(self.buffer.head, BATCH // 4)
            if not items:
                if not self.backlog:
                    self.oldest = None
                await self._check_backlog()
                with anyio.move_on_after(IDLE_CHECK):
                    await self.wake.wait()
                continue
            self.oldest = items[0].queued_at
            with anyio.fail_after(self.settings.write_timeout):
                for item in items:
                    await sock.send(item.payload)
            await self._acked(items)

    async def _write(self, stream: SocketStream, items: list[Item]) -> None:
        with anyio.fail_after(self.settings.write_timeout):
            await stream.send(b"".join(i.payload for i in items))
        await self._acked(items)

    async def _acked(self, items: list[Item]) -> None:
        assert self.buffer is not None
        await anyio.to_thread.run_sync(self.buffer.ack, items[-1].seq)
        if self.health is Health.OK:
            self._warned = None  # the link works: a new outage is worth a line again
        self.written += len(items)
        self.acked += len(items)
        self.last_written_at = self.now()
        if not self.backlog:
            self.oldest = None
        await self._check_backlog(throttle=True)

    async def _watch_peer(self, stream: SocketStream, closed: anyio.Event) -> None:
        """Read (and ignore) what the video system sends; its hang-up stops the writer."""
        try:
            while True:
                await stream.receive()
        except LINK_ERRORS:
            pass
        finally:
            closed.set()
            self.wake.set()

    async def _idle(self, seconds: float) -> None:
        """Wait before reconnecting, and keep the backlog alert honest meanwhile."""
        end = time.monotonic() + seconds
        await self._check_backlog()
        while (left := end - time.monotonic()) > 0:
            await anyio.sleep(min(left, IDLE_CHECK))
            await self._check_backlog()

    # --- backlog alert, once per episode -------------------------------------------------
    _checked = 0.0

    async def _check_backlog(self, throttle: bool = False) -> None:
        if throttle and time.monotonic() - self._checked < 1.0:
            return
        self._checked = time.monotonic()
        age = self.backlog_age()
        if self.episode is None and age is not None \
                and age >= self.settings.backlog_minutes * 60 and self.oldest is not None:
            self.episode = self.oldest.isoformat()
            await self._persist_episode()
            text = self._say("video.backlog", minutes=int(age // 60), count=self.backlog)
            log.warning("%s", text)
            await self._alert(BACKLOG, text, age)
        elif self.episode is not None and not self.backlog and self.connected:
            text = self._say("video.caught_up")
            log.info("%s", text)
            await self._alert(CAUGHT_UP, text, None)
            self.episode = None
            await self._persist_episode()

    async def _persist_episode(self) -> None:
        if self.buffer is not None:
            await anyio.to_thread.run_sync(self.buffer.set_meta, "episode", self.episode)

    async def _alert(self, kind: str, text: str, age: float | None) -> None:
        if self.emit is None:
            return
        event = Event.of(site=self.site or "", kind=kind, occurred_at=self.now(), text=text,
                         source_key=f"{kind}:{self.name}:{self.episode}",
                         data={"device": self.name, "backlog": self.backlog,
                               "minutes": None if age is None else int(age // 60),
                               "backlog_age_s": None if age is None else round(age)})
        try:
            await self.emit(event)
        except Exception:  # the alert is best effort; the queue is what matters
            log.exception("could not emit %s for video feed %s", kind, self.name)

    # --- health --------------------------------------------------------------------------
    _warned: str | None = None

    def _set(self, health: Health, message: str | None) -> None:
        # once per outage, not once per retry (a UDP feed "connects" at every attempt)
        if message and message != self._warned:
            log.warning("%s", message)
            self._warned = message
        self.health, self.message = health, message

    def _away(self, key: str, exc: BaseException) -> None:
        reason = (str(exc) or type(exc).__name__).splitlines()[0].rstrip(".")
        self.last_error = reason
        self._set(Health.DEGRADED, self._say(key, reason=reason))

    def _disk(self, exc: BaseException) -> None:
        self.last_error = str(exc) or type(exc).__name__
        self._set(Health.DOWN, self._say("video.disk", reason=self.last_error))
