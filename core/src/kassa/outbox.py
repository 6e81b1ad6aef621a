"""The outbox: messages decided on are rows; a worker per channel delivers them.

Per chat, rows go out in id order (a row waiting for a retry holds back the ones after it).
Budgets per chat, per group and per bot come from ``Channel.limits``; when a chat is out of
budget and alerts pile up, they go out as one digest when the budget next allows a send (the
first row becomes the digest, the others are marked ``merged`` with ``digest_id``) — nothing
is dropped. Status marks of all chats are group-committed (``Marks``), so a busy outbox costs
the event log an occasional short write, not one per message. Failures: ``RetryLater``
-> backoff with full jitter (at least ``after``), ``Repair`` -> apply and retry, ``Permanent`` or
too many attempts -> ``dead`` with the reason; ``retry(id)`` puts a dead letter back.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import func, literal_column, select, update
from sqlmodel import col

from kassa import codec, marks
from kassa.config import OutboxSettings
from kassa.digest import DIGEST_LINES, Head, fold, foldable
from kassa.errors import Permanent, Repair, RetryLater
from kassa.hookspecs.notify import Channel
from kassa.marks import Digest, Marks
from kassa.model import ChannelLimits, ChatRef, Message
from kassa.ratelimit import Window, per_second
from kassa.secret import redact
from kassa.store import Store, dialect_insert
from kassa.store.tables import OutboxRow
from kassa.supervision import Contained

log = logging.getLogger("kassa.outbox")
# a literal, not a parameter: only then can SQLite use the partial queue indexes
_PENDING = col(OutboxRow.status) == literal_column("'pending'")
RECALL = timedelta(seconds=63)  # the longest budget window (a group's minute) and its margin
_SAFE_LIMITS = ChannelLimits()

RenderJob = Callable[[dict[str, Any], ChatRef], Awaitable[Message]]
OnRepair = Callable[[str, str, str], Awaitable[None]]  # channel, old chat id, new chat id


def outbox_row(message: Message, *, key: str, now: datetime, summary: str | None = None,
               job: dict[str, Any] | None = None) -> dict[str, Any]:
    """The row for a message (or a deferred job rendered at send time, e.g. a report)."""
    body: dict[str, Any] = {"message": codec.to_dict(message)}
    if summary:
        body["summary"] = summary
    if job:
        body["job"] = job
    return {
        "key": key, "channel": message.chat.channel, "chat_id": message.chat.chat_id,
        "thread_id": message.chat.thread_id, "event_id": message.event_id,
        "kind": message.kind, "severity": str(message.severity), "status": "pending",
        "attempts": 0, "next_at": now, "created_at": now, "payload": codec.json_dumps(body),
    }


class Outbox:
    def __init__(self, store: Store, settings: OutboxSettings, *, now: Callable[[], datetime],
                 render_job: RenderJob, on_repair: OnRepair, locale: str,
                 secrets: Callable[[], list[str]]) -> None:
        self.store = store
        self.settings = settings
        self.now = now
        self.render_job = render_job
        self.on_repair = on_repair
        self.locale = locale
        self.secrets = secrets
        self.channels: dict[str, Channel] = {}
        self._wake: dict[str, anyio.Event] = {}
        self._chat_windows: dict[tuple[str, str], Window] = {}
        self._group_windows: dict[tuple[str, str], Window] = {}
        self._bot_windows: dict[str, Window] = {}
        self._in_flight: set[tuple[str, str]] = set()
        self._marks = Marks(store)
        self._scan: set[str] = set()  # channels to scan for due chats
        self._hints: dict[str, set[str]] = {}  # channel -> chats with new rows
        self.sent = 0
        self.failed = 0
        self.contained = Contained(log)  # a channel's is_group / limits failing

    # --- producing -------------------------------------------------------------------------
    async def put(self, rows: list[dict[str, Any]]) -> int:
        """Insert rows (idempotent on key); returns how many were new."""
        if not rows:
            return 0
        async with self.store.write() as conn:
            new = await self.put_in(conn, rows)
        self.wake({r["channel"] for r in rows})
        return new

    async def put_in(self, conn: Any, rows: list[dict[str, Any]]) -> int:
        """Insert rows inside the caller's transaction; how many were new."""
        stmt = dialect_insert(conn, OutboxRow).on_conflict_do_nothing(
            index_elements=["key"]).returning(col(OutboxRow.id))
        return len((await conn.execute(stmt, rows)).all())

    def wake(self, channels: set[str] | None = None) -> None:
        """Something changed: the channels' workers look for due chats again (a scan)."""
        for name in channels if channels is not None else list(self._wake):
            ev = self._wake.get(name)
            if ev is not None:
                self._scan.add(name)
                ev.set()

    def notify(self, chats: set[tuple[str, str]]) -> None:
        """New rows for these (channel, chat) were committed: their chats start draining
        without a scan (the event log commits many times a second; a scan each time would
        be most of the outbox's reads)."""
        for channel, chat_id in chats:
            ev = self._wake.get(channel)
            if ev is not None:
                self._hints.setdefault(channel, set()).add(chat_id)
                ev.set()

    # --- delivering ------------------------------------------------------------------------
    async def run(self, channel: Channel) -> None:
        """The worker for one channel; runs until cancelled."""
        name = channel.name
        self.channels[name] = channel
        limits = self._limits(channel)
        self._bot_windows[name] = per_second(limits.per_bot_per_s)
        await self._recall_budgets(channel)
        deadline = 0.0  # the next scan, at the latest (time.monotonic())
        async with anyio.create_task_group() as tg:
            while True:
                self._wake[name] = anyio.Event()
                due: set[str] = set()
                if name in self._scan or time.monotonic() >= deadline:
                    self._scan.discard(name)
                    chats, next_at = await self._due_chats(name)
                    due.update(chats)
                    delay = 1.0 if next_at is None else max(0.01, min(1.0, next_at))
                    deadline = time.monotonic() + delay
                due |= self._hints.pop(name, set())
                for chat in due:
                    if (name, chat) not in self._in_flight:
                        self._in_flight.add((name, chat))
                        tg.start_soon(self._drain_chat, channel, chat)
                with anyio.move_on_after(max(0.0, deadline - time.monotonic())):
                    await self._wake[name].wait()

    async def _due_chats(self, channel: str) -> tuple[list[str], float | None]:
        now = self.now()
        async with self.store.read() as conn:
            due = (await conn.execute(
                select(col(OutboxRow.chat_id)).where(
                    col(OutboxRow.channel) == channel, _PENDING,
                    col(OutboxRow.next_at) <= now).distinct())).scalars()
            chats = list(due)
            nxt = (await conn.execute(select(func.min(col(OutboxRow.next_at))).where(
                col(OutboxRow.channel) == channel, _PENDING,
                col(OutboxRow.next_at) > now))).scalar()
        wait = None
        if nxt is not None:
            if nxt.tzinfo is None:
                nxt = nxt.replace(tzinfo=now.tzinfo)
            wait = (nxt - now).total_seconds()
        return chats, wait

    async def _drain_chat(self, channel: Channel, chat_id: str) -> None:
        try:
            waited = False
            while True:
                rows = await self._pending(channel.name, chat_id)
                if not rows or self._not_due(rows[0]):
                    return
                wait = self._budget_wait(channel, chat_id)
                if wait > 0:
                    # out of budget: what piles up meanwhile goes out as one digest when the
                    # budget allows; folded then, in memory, so waiting costs no writes
                    waited = True
                    # jittered: chats whose budgets renew together (a chain-wide burst)
                    # would otherwise all fold, send and write in the same instant
                    await anyio.sleep(wait + random.uniform(0, min(0.25, wait / 4)))
                    continue
                run = self._foldable(rows) if waited else []
                await self._deliver(channel, rows[0], await self._digest(run) if run else None)
                waited = False
        finally:
            self._in_flight.discard((channel.name, chat_id))
            self.wake({channel.name})

    def _not_due(self, row: Head) -> bool:
        nxt = row.next_at if row.next_at.tzinfo else row.next_at.replace(tzinfo=self.now().tzinfo)
        return nxt > self.now()

    def _budget_wait(self, channel: Channel, chat_id: str) -> float:
        lim = self._limits(channel)
        key = (channel.name, chat_id)
        chat_w = self._chat_windows.setdefault(key, per_second(lim.per_chat_per_s))
        waits = [chat_w.wait_time(), self._bot_windows[channel.name].wait_time()]
        # a failing is_group counts as a group: the stricter budget never gets a bot banned
        if self.contained.call(channel, "is_group", True, ChatRef(channel.name, chat_id)):
            grp = self._group_windows.setdefault(key, Window(lim.per_group_per_min, 60.0))
            waits.append(grp.wait_time())
        return max(waits)

    async def _recall_budgets(self, channel: Channel) -> None:
        """Refill the budgets from what the store says went out in the last minute: a
        restarted hub must not send a chat or group a full budget again (the messenger's
        window did not restart with us: Telegram answered with 429s after restarts)."""
        now = self.now()
        async with self.store.read() as conn:
            res = await conn.execute(select(col(OutboxRow.chat_id), col(OutboxRow.sent_at)).where(
                col(OutboxRow.channel) == channel.name, col(OutboxRow.status) == "sent",
                col(OutboxRow.sent_at) >= now - RECALL).order_by(col(OutboxRow.sent_at)))
            rows = res.all()
        mono = time.monotonic()
        for chat_id, sent_at in rows:
            if sent_at is None:  # never (the query compares it), but the column allows it
                continue
            at = sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=now.tzinfo)
            when = mono - max(0.0, (now - at).total_seconds())
            self._budget_wait(channel, chat_id)  # creates the chat's windows
            self._spend(channel, chat_id, when)
        if rows:
            log.info("%s: budgets of %d chats recalled from the last minute's %d sends",
                     channel.name, len({r[0] for r in rows}), len(rows))

    def _limits(self, channel: Channel) -> ChannelLimits:
        """The channel's budgets; the defaults (the tightest common ones) if it fails."""
        limits = self.contained.attribute(channel, "limits", _SAFE_LIMITS)
        if not isinstance(limits, ChannelLimits):
            self.contained.failed(channel, "limits", TypeError(
                f"not a ChannelLimits but {type(limits).__name__}"), _SAFE_LIMITS)
            return _SAFE_LIMITS
        return limits

    def _spend(self, channel: Channel, chat_id: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        key = (channel.name, chat_id)
        self._chat_windows[key].take(now)
        self._bot_windows[channel.name].take(now)
        if key in self._group_windows:
            self._group_windows[key].take(now)

    async def _pending(self, channel: str, chat_id: str) -> list[Head]:
        """The head of a chat's queue, light: no payloads (those load only when needed)."""
        async with self.store.read() as conn:
            res = await conn.execute(select(
                col(OutboxRow.id), col(OutboxRow.kind), col(OutboxRow.severity),
                col(OutboxRow.next_at), col(OutboxRow.created_at), col(OutboxRow.attempts),
                col(OutboxRow.channel), col(OutboxRow.chat_id), col(OutboxRow.thread_id)).where(
                col(OutboxRow.channel) == channel, col(OutboxRow.chat_id) == chat_id,
                _PENDING).order_by(col(OutboxRow.id)).limit(
                DIGEST_LINES + 1))
            return [Head(*r) for r in res.all()]  # type: ignore[arg-type]  # ids are set

    async def _payloads(self, ids: list[int]) -> dict[int, str]:
        async with self.store.read() as conn:
            res = await conn.execute(select(col(OutboxRow.id), col(OutboxRow.payload)).where(
                col(OutboxRow.id).in_(ids)))
            return {int(i or 0): str(p) for i, p in res.all()}

    def _foldable(self, rows: list[Head]) -> list[Head]:
        return foldable(rows, self.settings.digest_after, self._not_due)

    async def _digest(self, run: list[Head]) -> Digest | None:
        return fold(run, await self._payloads([r.id for r in run]), self.locale)

    async def _deliver(self, channel: Channel, row: Head, digest: Digest | None) -> None:
        chat = ChatRef(row.channel, row.chat_id, row.thread_id)
        if digest is not None:
            # the fold is on disk before the send: after a crash or a failed part the same
            # message goes again (a channel resumes after the parts it delivered), never a
            # new fold that repeats lines already delivered
            await self._marks.fold(row.id, digest)
        try:
            if digest is not None:
                message = digest.message
            else:
                body = codec.json_loads((await self._payloads([row.id]))[row.id])
                if "job" in body:
                    message = await self.render_job(body["job"], chat)
                else:
                    message = codec.from_dict(body["message"], Message)
            if message.chat != chat:
                message = _with_chat(message, chat)
            self._spend(channel, row.chat_id)
            delivery = await channel.send(message)
        except RetryLater as exc:
            await self._retry(row, str(exc), exc.after)
        except Repair as exc:
            new_id = exc.changes.get("chat_id")
            if not new_id:
                await self._dead(row, f"repair without a new chat id: {exc}")
                return
            await self._migrate(row.channel, row.chat_id, str(new_id))
        except Permanent as exc:
            await self._dead(row, exc.reason)
        except Exception as exc:  # a channel bug: keep the message, retry later
            log.warning("channel %s failed: %s", channel.name, self._redact(repr(exc)))
            await self._retry(row, repr(exc), None)
        else:
            self.sent += 1
            await self._marks.write(marks.SENT, {"b_id": row.id, "b_at": self.now(),
                                           "b_remote": delivery.remote_id,
                                           "b_attempts": row.attempts + 1})

    def _redact(self, text: str) -> str:
        return redact(text, self.secrets())

    async def _retry(self, row: Head, error: str, after: float | None) -> None:
        attempts = row.attempts + 1
        self.failed += 1
        if attempts >= self.settings.max_attempts:
            await self._dead(row, f"gave up after {attempts} attempts: {error}")
            return
        backoff = min(self.settings.max_delay, self.settings.base_delay * 2 ** attempts)
        delay = max(after or 0.0, random.uniform(0, backoff))
        await self._marks.write(marks.RETRY, {
            "b_id": row.id, "b_attempts": attempts, "b_error": self._redact(error)[:1000],
            "b_next": self.now() + timedelta(seconds=delay)})

    async def _dead(self, row: Head, reason: str) -> None:
        """A dead letter keeps what it would have carried: a digest stays one (its fold is
        already stored), so replaying it delivers all of its rows."""
        log.warning("message %s to %s:%s is a dead letter: %s", row.id, row.channel,
                    row.chat_id, self._redact(reason))
        await self._marks.write(marks.DEAD, {"b_id": row.id, "b_attempts": row.attempts + 1,
                                        "b_error": self._redact(reason)[:1000]})

    async def _migrate(self, channel: str, old: str, new: str) -> None:
        log.info("chat %s:%s moved to %s; pending messages follow it", channel, old, new)
        async with self.store.write() as conn:
            await conn.execute(update(OutboxRow).where(
                col(OutboxRow.channel) == channel, col(OutboxRow.chat_id) == old,
                _PENDING).values(chat_id=new))
        await self.on_repair(channel, old, new)
        self.wake({channel})

    # --- operating -------------------------------------------------------------------------
    async def retry(self, row_id: int) -> str:
        """Put a dead letter back in the queue: 'ok', 'missing' or 'not_dead'."""
        async with self.store.write() as conn:
            row = (await conn.execute(select(col(OutboxRow.status), col(OutboxRow.channel)).where(
                col(OutboxRow.id) == row_id))).first()
            if row is None:
                return "missing"
            if row.status != "dead":
                return "not_dead"
            await conn.execute(update(OutboxRow).where(col(OutboxRow.id) == row_id).values(
                status="pending", attempts=0, next_at=self.now()))
        self.wake({row.channel})
        return "ok"

    async def counts(self) -> dict[str, Any]:
        return await counts(self.store)

    async def idle(self, channels: Collection[str] | None = None) -> bool:
        """No pending rows (tests and graceful shutdown wait for this); with ``channels``,
        none for those (rows for a channel not installed cannot go anywhere yet)."""
        stmt = select(func.count()).where(_PENDING)
        if channels is not None:  # an empty IN matches nothing, so idle; still one await
            stmt = stmt.where(col(OutboxRow.channel).in_(list(channels)))
        async with self.store.read() as conn:
            n = (await conn.execute(stmt)).scalar()
        return not n


STATUSES = ("pending", "sent", "dead", "merged")


async def counts(store: Store) -> dict[str, Any]:
    """Rows by status: in total, ``by_channel`` and ``by_chat`` (``"channel:chat_id"``), from
    one grouped count (the API's queue and chat views both read it)."""
    async with store.read() as conn:
        res = (await conn.execute(select(
            col(OutboxRow.channel), col(OutboxRow.chat_id), col(OutboxRow.status),
            func.count()).group_by(col(OutboxRow.channel), col(OutboxRow.chat_id),
                                   col(OutboxRow.status)))).all()
    total = dict.fromkeys(STATUSES, 0)
    by_channel: dict[str, dict[str, int]] = {}
    by_chat: dict[str, dict[str, int]] = {}
    for channel, chat_id, status, n in res:
        total[status] = total.get(status, 0) + n
        ch = by_channel.setdefault(channel, dict.fromkeys(STATUSES, 0))
        ch[status] = ch.get(status, 0) + n
        by_chat.setdefault(f"{channel}:{chat_id}", dict.fromkeys(STATUSES, 0))[status] = n
    return {**total, "by_channel": by_channel, "by_chat": by_chat}


async def messages(store: Store, *, channel: str | None = None, chat_id: str | None = None,
                   status: str | None = None, event_id: str | None = None,
                   limit: int = 100) -> list[Any]:
    """Outbox rows, newest first (with ``event_id``: that event's, oldest first)."""
    stmt = select(OutboxRow)
    for column, value in ((OutboxRow.channel, channel), (OutboxRow.chat_id, chat_id),
                          (OutboxRow.status, status), (OutboxRow.event_id, event_id)):
        if value:
            stmt = stmt.where(col(column) == value)
    order = col(OutboxRow.id).asc() if event_id else col(OutboxRow.id).desc()
    async with store.read() as conn:
        return list((await conn.execute(stmt.order_by(order).limit(limit))).all())


def _with_chat(message: Message, chat: ChatRef) -> Message:
    import attrs

    return attrs.evolve(message, chat=chat)
