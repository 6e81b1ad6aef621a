"""Putting the outbox's checks to Lime, oldest first, each exactly once.

A check gets its Lime check id (GetNextCheckId) once, stored before the first PutCheck, so
every retry carries the same id. Lime not reachable: the check waits (and the managers are
told once); sent without an answer: it is sent again with the same id later, and Lime's
"check exists" means the first one got there. A return waits for the check it gives back.
Lime refusing a check the till already took is an alert for people, never a silent drop.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import attrs
from kassa import codec
from kassa.errors import Permanent, RetryLater
from kassa.i18n import t
from kassa.journal import Journal, OutcomeUnknown

from kassa_lime import wire
from kassa_lime.check import Check
from kassa_lime.client import LimeClient, LimeError, LimeNoAnswer, LimeRefused, LimeUnreachable
from kassa_lime.kinds import Kind
from kassa_lime.settings import LimeSettings
from kassa_lime.store import LimeStore

log = logging.getLogger("kassa.lime")


@attrs.frozen
class PutAnswer:
    """What the journal keeps of a PutCheck: Lime's answer (entry ids for a later return)."""

    answer: dict[str, Any]


class _Away(RetryLater):
    def __init__(self, cause: LimeUnreachable) -> None:
        self.cause = cause
        super().__init__(str(cause))


class _Refused(Permanent):
    def __init__(self, cause: LimeRefused) -> None:
        self.cause = cause
        super().__init__(str(cause))
Alert = Callable[[Kind, str, dict[str, Any]], Awaitable[None]]
EXISTS = "check_exists"  # the simulator's code for a check id already put (see the docs)


class Delivery:
    def __init__(self, settings: LimeSettings, client: LimeClient, store: LimeStore, *,
                 now: Callable[[], datetime], alert: Alert | None = None,
                 journal: Journal | None = None, site: str | None = None,
                 locale: str = "ru") -> None:
        self.settings, self.client, self.store, self.now = settings, client, store, now
        self.locale = locale
        self.alert, self.journal, self.site = alert, journal, site
        self.tz = ZoneInfo(settings.timezone)
        self.stopped = False  # the hub is shutting down: the loop ends, the store closes
        self.is_down = False
        self.shift_open = False
        self._lock = anyio.Lock()

    async def _tell(self, kind: Kind, text: str, **data: Any) -> None:
        if self.alert is not None:
            try:
                await self.alert(kind, text, data)
            except Exception:  # an alert that cannot go out never stops a payment
                log.exception("lime: alert %s not emitted", kind)

    async def down(self, reason: str) -> None:
        if not self.is_down:
            self.is_down = True
            log.warning("lime: unreachable (%s)", reason)
            await self._tell(Kind.UNREACHABLE, reason)

    async def up(self) -> None:
        if self.is_down:
            self.is_down = False
            await self._tell(Kind.BACK, "")

    async def try_now(self) -> None:
        """Deliver what is waiting, bounded by the till's timeout; failures stay queued."""
        with anyio.move_on_after(self.settings.timeout):
            try:
                await self.deliver()
            except LimeError as exc:
                log.warning("lime: delivery postponed: %s", exc)

    async def run(self) -> None:
        """The background loop (``hub.spawn``): offer waiting checks every few seconds."""
        while not self.stopped:
            try:
                await self.try_now()
            except sqlite3.ProgrammingError:
                if self.stopped:  # the store closed under a round at shutdown: it is kept
                    return
                raise
            await anyio.sleep(self.settings.retry_seconds)

    async def deliver(self) -> int:
        """Put every waiting check that Lime takes now, in order; the count put."""
        done = 0
        async with self._lock:
            for row in self.store.pending():
                outcome = await self._one(row)
                if outcome is None:
                    break  # Lime is away or the order must hold: stop, keep the rest
                done += outcome
        return done

    async def _one(self, row: Any) -> int | None:
        check = codec.loads(row["check_json"], Check)
        ids: dict[int, int] | None = None
        if row["returns"] is not None:
            orig = self.store.check_row(row["returns"])
            if orig is None or orig["status"] == "pending":
                return None  # the sale goes first
            if orig["status"] == "refused":
                self.store.refused(row["id"], "the check it returns was refused by Lime")
                return 0
            ids = wire.entry_ids(codec.json_loads(orig["answer"] or "{}"))
            if any(ln.returns_entry not in ids for ln in check.lines):
                # the sale's answer was lost ("check exists"): Lime's ids of its entries are
                # unknown here, and a guessed id would give back some other sale's entry
                text = t("lime.return_unknown_entries", self.locale)
                self.store.refused(row["id"], "the sale's Lime entry ids are unknown")
                log.error("lime: return %s of check %s not put: %s", row["id"],
                          orig["number"], text)
                await self._tell(Kind.CHECK_REFUSED, text, check=orig["number"],
                                 key=row["key"])
                return 0
        desk = self.settings.cashdesk_id
        try:
            if not self.shift_open:
                await self.client.ensure_shift(desk)
                self.shift_open = True
            if row["number"] is None:
                check = attrs.evolve(check, number=await self.client.next_check_id(desk))
                self.store.set_number(row["id"], check.number, check)
            body = wire.put_check(check, installation_id=self.settings.installation_id,
                                  cashdesk_id=desk, user_id=self.settings.user_id,
                                  processing_id=self.settings.processing_id,
                                  other_processing_id=self.settings.other_processing_id,
                                  tz=self.tz, entry_ids=ids)
            answer = await self._put(row, check.number, body)
        except LimeUnreachable as exc:
            await self._wait(row, check, str(exc), down=True)
            return None
        except LimeNoAnswer as exc:  # maybe in: the same id next time tells
            await self._wait(row, check, str(exc), down=False)
            return None
        except LimeRefused as exc:
            if exc.code == EXISTS:
                answer = {}
            elif exc.code == "shift_closed":
                self.shift_open = False
                await self._wait(row, check, exc.message, down=False)
                return None
            else:
                self.store.refused(row["id"], f"{exc.code}: {exc.message}")
                log.error("lime: check %s refused: %s", check.number, exc)
                await self._tell(Kind.CHECK_REFUSED, exc.message, check=check.number,
                                 key=row["key"])
                return 0
        self.store.delivered(row["id"], answer, self.now())
        if row["attempts"]:
            await self._tell(Kind.CHECK_DELIVERED, "", check=check.number, key=row["key"])
        await self.up()
        return 1

    async def _put(self, row: Any, number: int, body: dict[str, Any]) -> dict[str, Any]:
        """PutCheck, through the hub's journal when there is one (the console sees every
        put, and a put whose answer was lost is reconciled from the outbox before it runs
        again under the same check id)."""
        if self.journal is None:
            return await self.client.put_check(body)
        check_id = int(row["id"])

        async def call() -> PutAnswer:
            try:
                return PutAnswer(answer=await self.client.put_check(body))
            except LimeUnreachable as exc:
                raise _Away(exc) from exc  # nothing happened: the journal may run it again
            except LimeRefused as exc:
                if exc.code == EXISTS:  # an earlier attempt got there: done, answer unknown
                    return PutAnswer(answer={})
                raise _Refused(exc) from exc

        async def lookup(_key: str) -> PutAnswer | None:
            now = self.store.check_row(check_id)
            if now is None or now["status"] != "delivered":
                return None  # not confirmed: running it again is safe (same check id)
            return PutAnswer(answer=codec.json_loads(now["answer"] or "{}"))

        try:
            done = await self.journal.run(
                f"lime:put:{row['key']}", component=self.settings.name, concern="payment",
                kind="lime_put_check", site=self.site, station=None,
                request={"check": number, "outbox": check_id}, call=call, lookup=lookup,
                result_type=PutAnswer)
        except (_Away, _Refused) as exc:
            raise exc.cause from None
        except OutcomeUnknown as exc:
            raise LimeNoAnswer(str(exc)) from exc
        return done.answer

    async def _wait(self, row: Any, check: Check, error: str, *, down: bool) -> None:
        self.store.attempt(row["id"], error)
        if down:
            await self.down(error)
        if not row["attempts"]:
            await self._tell(Kind.CHECK_DELAYED, error, check=check.number or None,
                             key=row["key"])
        return None
