"""Nothing a plugin does stops the hub: its loops restart with backoff, its small calls fall
back to a safe default, its devices are retried until they start.

- ``Supervisor.keep_running``: the one restart loop for sources, channel update loops, outbox
  workers and ``hub.spawn`` jobs. A crash is logged with its traceback and the job started
  again after ``Backoff`` (doubling up to a maximum; a run that lasted ``reset_after`` seconds
  counts as healthy, so the next crash waits the initial delay again).
- ``Contained``: calls a component's cheap member (``is_group``, ``limits``, ``health``);
  an exception gives the caller's safe default and is logged once per kind of failure.
- ``DeviceKeeper``: a device whose ``start()`` fails is unavailable (the reason kept), an
  alert ``device_unavailable`` is emitted once per outage and ``device_available`` when it
  starts again; it is retried with the same backoff. ``stop()`` failures are logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import anyio
import attrs
from anyio.abc import TaskStatus

from kassa.model import Event

log = logging.getLogger("kassa.supervision")
T = TypeVar("T")
Job = Callable[[], Awaitable[Any]]
Emit = Callable[[Event], Awaitable[Any]]
STOP_TIMEOUT = 5.0  # seconds a device's stop() may take at shutdown


@attrs.frozen
class Backoff:
    """Delays between restarts: ``initial`` doubling up to ``maximum`` (seconds)."""

    initial: float = 1.0
    maximum: float = 60.0
    reset_after: float = 60.0  # a run this long was healthy: the next crash waits `initial`
    device_poll: float = 30.0  # how often a started device's status() is looked at

    def next(self, delay: float) -> float:
        return min(delay * 2, self.maximum)


def describe(exc: BaseException) -> str:
    """A failure in one line for an operator: the type and the message, cut short."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


@attrs.define
class JobState:
    restarts: int = 0
    last_error: str | None = None
    running: bool = False


class Supervisor:
    """Keeps jobs running; ``jobs`` tells the API how often each was restarted and why."""

    def __init__(self, backoff: Backoff | None = None) -> None:
        self.backoff = backoff or Backoff()
        self.jobs: dict[str, JobState] = {}

    async def keep_running(self, fn: Job, *, what: str) -> None:
        """Run ``fn()`` until it returns; restart it after each exception. Cancellation (the
        hub stopping) passes through: it is not an ``Exception``."""
        state = self.jobs.setdefault(what, JobState())
        delay = self.backoff.initial
        while True:
            started = time.monotonic()
            state.running = True
            try:
                await fn()
                log.info("%s finished", what)  # returned by itself: done, not restarted
                return
            except Exception as exc:
                if time.monotonic() - started >= self.backoff.reset_after:
                    delay = self.backoff.initial
                state.restarts += 1
                state.last_error = describe(exc)
                log.exception("%s crashed; restarting in %.3g s", what, delay)
            finally:
                state.running = False
            await anyio.sleep(delay)
            delay = self.backoff.next(delay)


class Contained:
    """Calls into a component whose failure has a safe default; each kind of failure (the
    component, the member, the exception type) is logged once, not once per message."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or log
        self._seen: set[tuple[str, str, str]] = set()

    def call(self, component: Any, member: str, default: T, *args: Any) -> T:
        try:
            result: T = getattr(component, member)(*args)
            return result
        except Exception as exc:
            self.failed(component, member, exc, default)
            return default

    def attribute(self, component: Any, member: str, default: T) -> T:
        try:
            value: T = getattr(component, member)
            return value
        except Exception as exc:
            self.failed(component, member, exc, default)
            return default

    def failed(self, component: Any, member: str, exc: BaseException, default: Any) -> None:
        name = str(getattr(component, "name", type(component).__name__))
        key = (name, member, type(exc).__name__)
        if key in self._seen:
            return
        self._seen.add(key)
        self.log.error("%s.%s failed (%s); using %r instead (logged once)", name, member,
                       describe(exc), default)


def down_reason(status: Any) -> str | None:
    """Why a device's ``status()`` says it is down (``Health.DOWN`` / ``UNAVAILABLE``, or
    ``{"online": False}`` from a dict), else None."""
    health = getattr(status, "health", None)
    if health is not None:
        if str(health) in ("down", "unavailable"):
            return f"status {health}: {getattr(status, 'message', None) or 'no answer'}"
        return None
    if isinstance(status, dict) and status.get("online") is False:
        return f"status offline: {status.get('error') or status.get('message') or 'no answer'}"
    return None


@attrs.define
class DeviceState:
    """What the hub knows about one device; ``available`` is None before its first start."""

    kind: str
    site: str
    available: bool | None = None
    reason: str | None = None
    since: datetime | None = None
    attempts: int = 0
    outages: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "site": self.site or None, "available": self.available,
                "reason": self.reason, "since": self.since.isoformat() if self.since else None,
                "attempts": self.attempts}


class DeviceKeeper:
    """Starts devices, retries the ones that fail, stops them when the hub stops."""

    def __init__(self, *, emit: Emit, now: Callable[[], datetime],
                 backoff: Backoff | None = None,
                 redact: Callable[[str], str] | None = None) -> None:
        self.emit = emit
        self.now = now
        self.redact = redact or (lambda text: text)  # the reason reaches chats and the API
        self.backoff = backoff or Backoff()
        self.states: dict[str, DeviceState] = {}
        self.contained = Contained(log)  # a status() that raises is a bug, not an outage

    async def run(self, device: Any, *,
                  task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Start ``device`` (``task_status`` reports after the first attempt, whatever its
        outcome) and retry until it starts; then look at its ``status()`` every
        ``backoff.device_poll`` seconds and, when it says down, stop and start it again.
        Stops it when cancelled."""
        name = str(device.name)
        state = self.states[name] = DeviceState(kind=str(getattr(device, "kind", "")),
                                                site=str(getattr(device, "site", None) or ""))
        reported = False
        running = False
        delay = self.backoff.initial
        try:
            while True:
                while True:  # until it starts and its status does not say down
                    state.attempts += 1
                    try:
                        await device.start()
                        running = True
                        reason = down_reason(self.contained.call(device, "status", None))
                    except Exception as exc:
                        reason = describe(exc)
                    if reason is None:
                        break
                    await self._down(device, state, self.redact(reason), delay,
                                     "failed" if running else "did not start")
                    if running:
                        running = False
                        await self._stop(device)
                    if not reported:
                        reported = True
                        task_status.started()
                    await anyio.sleep(delay)
                    delay = self.backoff.next(delay)
                await self._up(device, state)
                if not reported:
                    reported = True
                    task_status.started()
                up_since = time.monotonic()
                reason = await self._watch(device)
                if time.monotonic() - up_since >= self.backoff.reset_after:
                    delay = self.backoff.initial  # it was healthy: a fresh outage
                await self._down(device, state, self.redact(reason), delay, "failed")
                running = False
                await self._stop(device)  # before starting it again
                await anyio.sleep(delay)
                delay = self.backoff.next(delay)
        finally:
            if running:
                await self._stop(device)

    async def _watch(self, device: Any) -> str:
        """Return (the reason) once the device's own status says it is down."""
        while True:
            await anyio.sleep(self.backoff.device_poll)
            status = self.contained.call(device, "status", None)
            reason = down_reason(status)
            if reason is not None:
                return reason

    async def _stop(self, device: Any) -> None:
        with anyio.CancelScope(shield=True), anyio.move_on_after(STOP_TIMEOUT) as scope:
            try:
                await device.stop()
            except Exception as exc:
                log.error("device %s did not stop cleanly: %s", device.name, describe(exc))
        if scope.cancelled_caught:
            log.error("device %s did not stop within %.0f s", device.name, STOP_TIMEOUT)

    async def _down(self, device: Any, state: DeviceState, reason: str, delay: float,
                    what: str) -> None:
        name = str(device.name)
        first = state.available is not False
        if first:
            log.error("device %s %s: %s; retrying in %.3g s", name, what, reason, delay)
        else:
            log.debug("device %s still unavailable: %s", name, reason)
        state.available, state.reason = False, reason
        if first:
            state.since = self.now()
            state.outages += 1
            await self._event(device, state, "device_unavailable", reason, state.since)

    async def _up(self, device: Any, state: DeviceState) -> None:
        outage = state.since if state.available is False else None
        state.available, state.reason, state.since = True, None, self.now()
        if outage is not None:
            log.info("device %s is available again", device.name)
            await self._event(device, state, "device_available", None, outage)

    async def _event(self, device: Any, state: DeviceState, kind: str, reason: str | None,
                     outage: datetime) -> None:
        """``outage`` (when it began) keys both alerts of one outage, across restarts too."""
        name = str(device.name)
        event = Event.of(site=state.site, kind=kind, occurred_at=self.now(), reason=reason,
                         source_key=f"device:{name}:{outage.isoformat()}:{kind}",
                         data={"device": name, "device_kind": state.kind})
        try:
            await self.emit(event)
        except Exception:  # the alert is best effort; the state is what matters
            log.exception("could not emit %s for device %s", kind, name)

    def describe(self) -> dict[str, dict[str, Any]]:
        return {name: s.to_dict() for name, s in self.states.items()}

    def unavailable(self, name: str) -> str | None:
        """Why device ``name`` cannot be used now (its outage's reason), or None when it is
        running (or not the keeper's): what ``hub.devices`` checks before calling it."""
        state = self.states.get(name)
        if state is None or state.available:
            return None
        return state.reason or "not started yet"


__all__ = ["Backoff", "Contained", "DeviceKeeper", "DeviceState", "Supervisor", "describe"]
