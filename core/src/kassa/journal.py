"""The action journal: every side-effecting call the core makes to a fiscal, payment or
device component goes through ``Journal.run``, so a retry never prints, charges or
fiscalises twice (DESIGN §5b).

One row per idempotency key: ``pending`` is committed durably (fsynced) before the component
is called; the answer makes it ``done`` (with the result) or ``failed`` (the component said
nothing was done), a mark committed without an fsync (a power loss losing it leaves
``pending``, which is looked up like a crash mid-call); anything else (a crash, a timeout,
a cancellation, an unexpected exception) leaves ``unknown``, which is reconciled by asking
the component (``lookup(key)``) before the call may run again.

Components raise ``RetryLater`` only when they KNOW nothing happened (the request was never
sent); when in doubt they raise something else (a ``TimeoutError``, a broken link, or
``OutcomeUnknown``) or let the service's timeout fire, which the journal records as
``unknown``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from attrs import frozen
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from kassa import codec
from kassa.errors import Permanent, Repair, RetryLater, UserError
from kassa.store import Store
from kassa.store.tables import JournalRow

log = logging.getLogger("kassa.journal")
T = TypeVar("T")
_T = JournalRow.__table__  # type: ignore[attr-defined]

PENDING, DONE, FAILED, UNKNOWN = "pending", "done", "failed", "unknown"
Lookup = Callable[[str], Awaitable[Any]]


class OutcomeUnknown(RetryLater):
    """The call may or may not have had its effect; the next call with the key (or
    ``reconcile_all``) asks the component before anything runs again."""

    def __init__(self, kind: str, key: str, detail: str = "") -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"outcome of {kind} {key} unknown; reconcile first"
                         + (f" ({detail})" if detail else ""))
        self.localized("error.outcome_unknown")


@frozen
class JournalEntry:
    """A journal row as the rest of the code sees it (request and result stay JSON text)."""

    key: str
    component: str
    concern: str
    kind: str
    site: str | None
    station: str | None
    status: str
    attempts: int
    error_code: str | None
    error: str | None
    request: str
    result: str | None
    created_at: datetime
    updated_at: datetime


def request_json(request: Any) -> tuple[str, str]:
    """The request as codec JSON and the sha256 of its canonical form (sorted keys)."""
    data = codec.to_dict(request)
    canonical = codec.json_dumps(_sorted(data))
    return codec.json_dumps(data), hashlib.sha256(canonical.encode()).hexdigest()


def _sorted(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(k): _sorted(data[k]) for k in sorted(data, key=str)}
    if isinstance(data, list | tuple):
        return [_sorted(v) for v in data]
    return data


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, Permanent):
        return "permanent"
    if isinstance(exc, Repair):
        return "repair"
    if isinstance(exc, UserError):
        return "user_error"
    if isinstance(exc, RetryLater):
        return "retry_later"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, anyio.get_cancelled_exc_class()):
        return "cancelled"
    return "exception"


def _found(value: Any) -> bool:
    """A lookup's answer says the action happened (``None``/``False``: no record of it)."""
    return value is not None and value is not False


class Journal:
    """The journal on the hub's store. ``now`` is the hub's clock."""

    def __init__(self, store: Store, *, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now
        self._locks: dict[str, anyio.Lock] = {}
        self._waiting: dict[str, int] = {}

    # --- the one way to call a side-effecting component method ---------------------------
    async def run(self, key: str, *, component: str, concern: str, kind: str,
                  site: str | None, station: str | None, request: Any,
                  call: Callable[[], Awaitable[T]], lookup: Lookup | None,
                  result_type: type[T]) -> T:
        """Run ``call()`` at most once for ``key`` and return its result (the recorded one on
        a retry). ``lookup(key)`` reconciles a call whose outcome is unknown; without it such
        a call is never retried (``RetryLater``). To bound the call, wrap ``run`` in
        ``anyio.fail_after``: the cancellation leaves the outcome ``unknown``."""
        if not key:
            raise UserError(f"{kind}: an idempotency key is required")
        text, digest = request_json(request)
        now = self.now()
        fresh = {"key": key, "component": component, "concern": concern, "kind": kind,
                 "site": site, "station": station, "request": text, "digest": digest,
                 "status": PENDING, "attempts": 1, "created_at": now, "updated_at": now}
        async with self._key_lock(key):
            # one transaction: the row as it was, or a new pending one (the common case)
            try:
                row = await self.store.write_sync(lambda c: _get_or_insert(c, key, fresh))
            except IntegrityError:  # another node sharing the database inserted it first
                raise RetryLater(f"{kind} {key} is being run elsewhere; try again",
                                 after=1).localized("error.elsewhere") from None
            if row is not None:
                if row.digest != digest:
                    raise UserError(f"key {key!r} reused for a different request"
                                    f" (it was a {row.kind} on {row.component})")
                if row.status == DONE:
                    return self._decode(row.result, result_type)
                if row.status in (PENDING, UNKNOWN):
                    found = await self._reconcile(row, lookup)
                    if _found(found):
                        await self._finish(key, DONE, result=found)
                        return found  # type: ignore[no-any-return]
                    log.info("journal: %s %s had no effect on %s; running it again",
                             kind, key, component)
                await self._claim(key)
            try:
                result = await call()
            except OutcomeUnknown:
                with anyio.CancelScope(shield=True):
                    await self._finish(key, UNKNOWN, code="unknown",
                                       message="the component cannot tell what happened")
                raise
            except (UserError, Permanent, Repair, RetryLater) as exc:
                # the component says nothing was done: a later retry may run again
                await self._finish(key, FAILED, exc=exc)
                raise
            except BaseException as exc:
                with anyio.CancelScope(shield=True):
                    await self._finish(key, UNKNOWN, exc=exc)
                log.warning("journal: outcome of %s %s on %s unknown (%r)", kind, key,
                            component, exc)
                if isinstance(exc, Exception):
                    raise OutcomeUnknown(kind, key) from exc
                raise
            with anyio.CancelScope(shield=True):  # the answer is in: record it whatever comes
                await self._finish(key, DONE, result=result)
            return result

    async def _reconcile(self, row: JournalRow, lookup: Lookup | None) -> Any:
        """Ask the component what became of an unfinished call. Unanswerable -> RetryLater."""
        if lookup is None:
            await self._finish(row.key, UNKNOWN)
            raise OutcomeUnknown(row.kind, row.key, f"{row.component} cannot look calls up")
        try:
            return await lookup(row.key)
        except Exception as exc:
            await self._finish(row.key, UNKNOWN, exc=exc)
            raise OutcomeUnknown(row.kind, row.key) from exc

    # --- start-up and the console ---------------------------------------------------------
    async def recover(self) -> list[JournalEntry]:
        """At start: rows a previous process left ``pending`` become ``unknown`` (it died
        between request and answer). Returns every unknown row, logged."""
        async with self.store.write() as conn:
            await conn.execute(update(_T).where(_T.c.status == PENDING)
                               .values(status=UNKNOWN, updated_at=self.now()))
        left = await self.unknown()
        for e in left:
            log.warning("journal: outcome of %s %s on %s (site %s) unknown: reconcile first",
                        e.kind, e.key, e.component, e.site)
        return left

    async def unknown(self) -> list[JournalEntry]:
        """Calls whose outcome is not known yet (reconciled on the next call or at start)."""
        return await self.entries(status=(PENDING, UNKNOWN))

    async def entries(self, *, status: tuple[str, ...] | None = None,
                      component: str | None = None, limit: int = 1000) -> list[JournalEntry]:
        q = select(_T).order_by(_T.c.id).limit(limit)
        if status:
            q = q.where(_T.c.status.in_(status))
        if component:
            q = q.where(_T.c.component == component)
        async with self.store.read() as conn:
            rows = (await conn.execute(q)).all()
        return [_entry(r) for r in rows]

    async def done_between(self, since: datetime, until: datetime | None = None, *,
                           concern: str | None = None, limit: int = 10000
                           ) -> list[JournalEntry]:
        """Calls that succeeded (``done``) and were first made in ``[since, until)``, oldest
        first: with ``concern="fiscal"``, every fiscal document made in a period (what an
        OFD reconciliation compares against)."""
        q = select(_T).where(_T.c.status == DONE, _T.c.created_at >= since.astimezone(UTC))
        if until is not None:
            q = q.where(_T.c.created_at < until.astimezone(UTC))
        if concern:
            q = q.where(_T.c.concern == concern)
        async with self.store.read() as conn:
            rows = (await conn.execute(q.order_by(_T.c.id).limit(limit))).all()
        return [_entry(r) for r in rows]

    async def entry(self, key: str) -> JournalEntry | None:
        row = await self.get(key)
        return None if row is None else _entry(row)

    async def reconcile_all(self, lookups: Mapping[str, Lookup]) -> dict[str, int]:
        """Reconcile every unknown call of the components in ``lookups`` (name -> lookup).
        Found -> ``done``; no record -> ``failed`` (nothing happened: a retry runs it);
        lookup failing -> stays ``unknown``. Returns counts per outcome."""
        counts = {DONE: 0, FAILED: 0, UNKNOWN: 0}
        for e in await self.unknown():
            lookup = lookups.get(e.component)
            if lookup is None:
                counts[UNKNOWN] += 1
                continue
            async with self._key_lock(e.key):
                row = await self.get(e.key)
                if row is None or row.status not in (PENDING, UNKNOWN):
                    continue
                try:
                    found = await lookup(e.key)
                except Exception as exc:
                    log.warning("journal: cannot reconcile %s %s on %s yet: %r", e.kind, e.key,
                                e.component, exc)
                    await self._finish(e.key, UNKNOWN, exc=exc)  # why, for the console
                    counts[UNKNOWN] += 1
                    continue
                if _found(found):
                    await self._finish(e.key, DONE, result=found)
                    counts[DONE] += 1
                else:
                    await self._finish(e.key, FAILED, code="not_found",
                                       message=f"{e.component} has no record of it")
                    counts[FAILED] += 1
        return counts

    # --- rows -----------------------------------------------------------------------------
    async def get(self, key: str) -> Any:
        async with self.store.read() as conn:
            return (await conn.execute(select(_T).where(_T.c.key == key))).first()

    async def _claim(self, key: str) -> None:
        """An earlier attempt had no effect: ``pending`` again (committed before the call)."""
        stmt = update(_T).where(_T.c.key == key).values(
            status=PENDING, attempts=_T.c.attempts + 1, error_code=None, error=None,
            updated_at=self.now())
        await self.store.write_sync(lambda c: c.execute(stmt))

    async def _finish(self, key: str, status: str, *, result: Any = None,
                      exc: BaseException | None = None, code: str | None = None,
                      message: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": self.now()}
        if status == DONE:
            values.update(result=codec.dumps(result), error_code=None, error=None)
        if exc is not None:
            values.update(error_code=_error_code(exc), error=str(exc) or type(exc).__name__)
        if code is not None:
            values.update(error_code=code, error=message)
        stmt = update(_T).where(_T.c.key == key).values(**values)
        # Not fsynced: the pending row committed before the call already guards it. Lost
        # with the power, the call is pending again at start, so unknown and looked up
        # before anything runs again; the event emitted next (a durable commit) fsyncs it.
        await self.store.write_sync(lambda c: c.execute(stmt), durable=False)

    @staticmethod
    def _decode(text: str | None, result_type: type[T]) -> T:
        if result_type is type(None):
            return None
        return codec.loads(text or "null", result_type)

    @asynccontextmanager
    async def _key_lock(self, key: str) -> AsyncIterator[None]:
        """One call per key at a time in this process; the lock goes when nobody waits."""
        lock = self._locks.setdefault(key, anyio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]


def _get_or_insert(conn: Connection, key: str, fresh: dict[str, Any]) -> Any:
    row = conn.execute(select(_T).where(_T.c.key == key)).first()
    if row is None:
        conn.execute(_T.insert().values(**fresh))
    return row


def _aware(v: datetime) -> datetime:
    return v if v.tzinfo is not None else v.replace(tzinfo=UTC)  # SQLite keeps naive UTC


def _entry(r: Any) -> JournalEntry:
    return JournalEntry(key=r.key, component=r.component, concern=r.concern, kind=r.kind,
                        site=r.site, station=r.station, status=r.status, attempts=r.attempts,
                        error_code=r.error_code, error=r.error, request=r.request,
                        result=r.result, created_at=_aware(r.created_at),
                        updated_at=_aware(r.updated_at))
