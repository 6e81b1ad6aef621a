"""What the three services share: a call through the journal, bounded in time, its
failure mapped to the shared errors, and an event for what happened."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import anyio

from kassa import codec
from kassa.errors import Permanent, Repair, RetryLater, UserError
from kassa.journal import Journal, Lookup, OutcomeUnknown
from kassa.model import Event
from kassa.services.selection import Selection

log = logging.getLogger("kassa.services")
T = TypeVar("T")
Emit = Callable[[Event], Awaitable[Any]]


class Service:
    """Base of ``FiscalService``, ``PaymentService`` and ``DeviceService``."""

    concern = ""  # the journal's concern: fiscal | payment | device
    prefix = ""  # of the failure events: fiscal_failed, payment_unknown, device_unavailable
    retry_event: str | None = None  # emitted for RetryLater (nothing done, try again)

    def __init__(self, *, journal: Journal, selection: Selection, emit: Emit,
                 now: Callable[[], datetime], timeout: float) -> None:
        self.journal = journal
        self.selection = selection
        self.emit = emit
        self.now = now
        self.timeout = timeout  # seconds a call may take before its outcome is unknown
        self.timeouts: dict[str, float] = {}  # per kind, where it differs

    async def _run(self, kind: str, *, key: str, site: str, station: str | None,
                   component: str, lookup: Lookup | None, request: Any,
                   call: Callable[[], Awaitable[T]], result_type: type[T],
                   event: str | None) -> T:
        """Journal the call; emit ``event`` for a result and ``<prefix>_failed`` /
        ``<prefix>_unknown`` for a failure (each once per key: the event log dedups)."""
        try:
            with anyio.fail_after(self.timeouts.get(kind, self.timeout)):
                result = await self.journal.run(
                    key, component=component, concern=self.concern, kind=kind, site=site,
                    station=station, request=request, call=call, lookup=lookup,
                    result_type=result_type)
        except TimeoutError:
            await self._event(f"{self.prefix}_unknown", key=key, site=site, station=station,
                              component=component, kind=kind, reason="timeout")
            raise OutcomeUnknown(kind, key, f"{component} did not answer in time") from None
        except OutcomeUnknown as exc:
            await self._event(f"{self.prefix}_unknown", key=key, site=site, station=station,
                              component=component, kind=kind,
                              reason=str(exc.__cause__ or exc))
            raise
        except (UserError, Permanent, Repair) as exc:
            await self._event(self.failed_kind(exc), key=key, site=site, station=station,
                              component=component, kind=kind, reason=str(exc))
            raise
        except RetryLater as exc:
            log.info("%s %s on %s: retry later (%s)", kind, key, component, exc)
            if self.retry_event:
                await self._event(self.retry_event, key=key, site=site, station=station,
                                  component=component, kind=kind, reason=str(exc))
            raise
        if event:
            await self._event(event, key=key, site=site, station=station, component=component,
                              kind=kind, result=result)
        return result

    def failed_kind(self, exc: BaseException) -> str:
        """The event kind for a definite failure (the device service says unavailable)."""
        return f"{self.prefix}_failed"

    async def _event(self, name: str, *, key: str, site: str, station: str | None,
                     component: str, kind: str, result: Any = None,
                     reason: str | None = None) -> None:
        data: dict[str, Any] = {"key": key, "component": component, "action": kind}
        if result is not None:
            data["result"] = codec.to_dict(result)
        amount = getattr(result, "total", None)
        if not isinstance(amount, int):
            amount = getattr(result, "amount", None)
        event = Event.of(site=site, kind=name, source_key=f"{name}:{key}",
                         occurred_at=self.now(), station=station, reason=reason,
                         amount=amount if isinstance(amount, int) else None, data=data)
        try:
            await self.emit(event)
        except Exception:  # the action is journaled; its event is not worth failing it for
            log.exception("could not emit %s for %s", name, key)
