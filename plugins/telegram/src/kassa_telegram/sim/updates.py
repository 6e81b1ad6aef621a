"""The bot's update queue: getUpdates offsets and long polls, or webhook pushes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import httpx
from attrs import define

from kassa_telegram.sim.envelope import ApiError

log = logging.getLogger(__name__)

# Telegram's default when allowed_updates is empty or never set
DEFAULT_TYPES = frozenset({
    "message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
    "my_chat_member", "inline_query", "chosen_inline_result", "shipping_query",
    "pre_checkout_query", "poll", "poll_answer", "chat_join_request"})
RETENTION = 24 * 3600.0  # Telegram keeps unconfirmed updates for 24 hours

CONFLICT_WEBHOOK = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")
CONFLICT_POLL = ("Conflict: terminated by other getUpdates request; "
                 "make sure that only one bot instance is running")
CONFLICT_SET_WEBHOOK = "Conflict: terminated by setWebhook request"


@define
class Update:
    update_id: int
    at: float
    kind: str
    payload: dict[str, Any]

    def wire(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@define
class Webhook:
    url: str
    secret_token: str = ""
    last_error_date: int | None = None
    last_error_message: str = ""


class UpdateQueue:
    def __init__(self, clock: Callable[[], float], retry_base: float = 0.05) -> None:
        self.clock = clock
        self.items: list[Update] = []
        self.next_id = 100_000_001
        self.allowed: frozenset[str] = DEFAULT_TYPES
        self.webhook: Webhook | None = None
        self.retry_base = retry_base
        self._closing = False
        self.delivered: list[Update] = []  # pushed by webhook and acknowledged
        self._wake = asyncio.Event()
        self._poll_gen = 0
        self._aborted_by = CONFLICT_POLL
        self.conflict_delay = 3.0
        self._next_conflict = 0.0
        self._pusher: asyncio.Task[None] | None = None

    def _notify(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    def push(self, kind: str, payload: dict[str, Any]) -> int | None:
        """Queue an update; None if the bot's allowed_updates exclude its type."""
        if kind not in self.allowed:
            return None
        upd = Update(self.next_id, self.clock(), kind, payload)
        self.next_id += 1
        self.items.append(upd)
        self._notify()
        return upd.update_id

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is None:
            return  # sticky: leaving it out keeps the previous setting
        self.allowed = frozenset(allowed) if allowed else DEFAULT_TYPES

    def _expire(self) -> None:
        horizon = self.clock() - RETENTION
        self.items = [u for u in self.items if u.at >= horizon]

    async def get(self, offset: int, limit: int, hold: float) -> list[dict[str, Any]]:
        """One getUpdates, as tdlib's ``do_get_updates``: answer at once when something is
        queued or ``hold`` is 0; otherwise terminate the poll already waiting (409 for it)
        and wait for an update, the timeout, or being terminated in turn."""
        if self.webhook is not None:
            raise await self._conflict(CONFLICT_WEBHOOK)
        self._expire()
        if offset < 0:
            self.items = self.items[offset:]  # keep the last -offset, forget the rest
        elif offset > 0:
            self.items = [u for u in self.items if u.update_id >= offset]
        if self.items or hold <= 0:
            return [u.wire() for u in self.items[:limit]]
        self.abort_poll(CONFLICT_POLL)
        self._poll_gen += 1
        mine = self._poll_gen
        loop = asyncio.get_running_loop()
        deadline = loop.time() + hold
        while not self.items:
            left = deadline - loop.time()
            if left <= 0:
                break
            wake = self._wake
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), left)
            if self._closing:
                break  # the server is stopping: answer the held poll, empty
            if self._poll_gen != mine:
                raise await self._conflict(self._aborted_by)
        return [u.wire() for u in self.items[:limit]]

    def abort_poll(self, reason: str) -> None:
        """Terminate the long poll waiting now, if any (it answers 409 ``reason``)."""
        self._aborted_by = reason
        self._poll_gen += 1
        self._notify()

    async def _conflict(self, text: str) -> ApiError:
        # tdlib's fail_query_conflict: at most one 409 per 3 s, later ones answered 3 s late
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_conflict:
            await asyncio.sleep(self.conflict_delay)
        self._next_conflict = loop.time() + self.conflict_delay
        return ApiError(409, text)

    def pending(self) -> int:
        return len(self.items)

    # --- webhooks ------------------------------------------------------------------------
    def set_webhook(self, hook: Webhook, drop_pending: bool) -> None:
        if drop_pending:
            self.items.clear()
        self.abort_poll(CONFLICT_SET_WEBHOOK)
        self.webhook = hook
        self._notify()
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.get_running_loop().create_task(self._push_loop())

    async def delete_webhook(self, drop_pending: bool) -> None:
        if drop_pending:
            self.items.clear()
        self.webhook = None
        await self._stop_pusher()  # polling works again, conflicts and all

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # release held long polls so the server stops without cancelling them
        await asyncio.sleep(0.05)
        await self._stop_pusher()

    async def _stop_pusher(self) -> None:
        self._notify()
        task, self._pusher = self._pusher, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _push_loop(self) -> None:
        """POST updates in order; a non-2xx answer or a network error is retried with backoff."""
        failures = 0
        async with httpx.AsyncClient(timeout=10.0) as http:
            while self.webhook is not None:
                self._expire()
                if not self.items:
                    await self._wake.wait()
                    continue
                hook, upd = self.webhook, self.items[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} \
                    if hook.secret_token else {}
                try:
                    resp = await http.post(hook.url, json=upd.wire(), headers=headers)
                    error = "" if 200 <= resp.status_code < 300 else \
                        f"Wrong response from the webhook: {resp.status_code}"
                except httpx.HTTPError as exc:
                    error = f"Connection failed: {type(exc).__name__}"
                if not error:
                    failures = 0
                    if self.items and self.items[0] is upd:
                        self.items.pop(0)
                        self.delivered.append(upd)
                    continue
                failures += 1
                hook.last_error_date = int(self.clock())
                hook.last_error_message = error
                await asyncio.sleep(min(self.retry_base * 2 ** failures, 2.0))
