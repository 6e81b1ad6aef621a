"""The MAX ``Channel``: sends Kassa messages, turns MAX updates into ``Incoming``."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
from kassa.errors import Permanent, RetryLater
from kassa.model import ChannelLimits, ChatRef, Delivery, Incoming, Message

from kassa_max import wire
from kassa_max.client import MaxClient
from kassa_max.failures import ApiPermanent, Closed
from kassa_max.html_split import split_html
from kassa_max.settings import MaxSettings, Mode, check
from kassa_max.texts import text
from kassa_max.webhook import WebhookReceiver

log = logging.getLogger(__name__)
ADMIN_REFRESH_S = 300.0  # how often group admin rights are re-read for health()
UPDATE_TYPES = ["message_created", "message_callback", "bot_started", "bot_added",
                "bot_removed", "bot_admin_permissions_changed"]

# Budgets: MAX documents 30 rps per bot (GREEN-FAQ); polling and callback answers share it,
# so messages get 28. No per-chat/per-group figure is published: Telegram's are used.
LIMITS = ChannelLimits(per_chat_per_s=1.0, per_group_per_min=20, per_bot_per_s=28.0,
                       max_text=wire.TEXT_LIMIT, max_callback_data=wire.CALLBACK_PAYLOAD)


class MaxChannel:
    name = "max"
    limits = LIMITS

    def __init__(self, settings: MaxSettings, *, locale: str = "ru",
                 known_chats: list[str] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        check(settings)
        self.now = now  # the hub's clock
        self.settings = settings
        self.locale = locale
        self.client = MaxClient(settings)
        self.webhook: WebhookReceiver | None = None
        if settings.mode is Mode.WEBHOOK:
            hook = settings.webhook
            self.webhook = WebhookReceiver(hook.secret, hook.host, hook.port)
        self._types: dict[str, str] = {}  # chat_id -> private | group | channel
        self._groups: dict[str, dict[str, Any]] = {c: {} for c in known_chats or []
                                                   if c.startswith("-")}
        self._progress: OrderedDict[Message, list[str]] = OrderedDict()  # parts already sent
        self._state: dict[str, Any] = {"mode": settings.mode.value, "last_error": None,
                                       "bot": None}
        self._admins_read_at = 0.0

    def __repr__(self) -> str:
        return f"MaxChannel({self.settings.base_url!r}, mode={self.settings.mode.value})"

    async def aclose(self) -> None:
        if self.webhook is not None:
            await self.webhook.stop()
        await self.client.aclose()

    async def deep_link(self, token: str) -> str:
        """A link that opens the bot with ``bot_started`` carrying the token (MAX has no
        add-to-group link: the admin adds the bot and sends ``/start <token>`` there)."""
        if not self._state.get("bot"):
            self._state["bot"] = (await self.client.me()).get("username")
        return f"https://max.ru/{self._state['bot']}?start={token}"

    # --- sending --------------------------------------------------------------------------
    async def send(self, message: Message) -> Delivery:
        chat_id = wire.chat_id_of(message)
        if message.chat.chat_id.startswith("-"):
            self._groups.setdefault(message.chat.chat_id, {})
        if message.edit_of:
            return await self._edit(message, chat_id)
        # a retry of a partly sent message resumes after the parts MAX already has
        done = self._progress.setdefault(message, [])
        self._progress.move_to_end(message)
        while len(self._progress) > 256:
            self._progress.popitem(last=False)
        step = 0

        async def once(build: Any) -> None:
            nonlocal step
            step += 1
            if step <= len(done):
                return
            sent = await build()
            done.append(str((sent.get("body") or {}).get("mid", "")))

        keyboard = wire.keyboard(message.buttons)
        files = message.attachments
        parts = split_html(message.text, wire.TEXT_LIMIT) if message.text else []
        for i, part in enumerate(parts):
            atts = [keyboard] if keyboard and not files and i == len(parts) - 1 else None
            await once(lambda p=part, a=atts: self.client.send(
                wire.body(p, a, silent=message.silent), chat_id=chat_id))
        for f in files:
            captions = split_html(f.caption, wire.TEXT_LIMIT) if f.caption else [""]
            for cap in captions[:-1]:
                await once(lambda c=cap: self.client.send(
                    wire.body(c, silent=message.silent), chat_id=chat_id))
            await once(lambda f=f, c=captions[-1]: self._send_file(f, c, chat_id, message.silent))
        if files and keyboard:  # a file must be the only attachment: keyboard goes after it
            await once(lambda: self.client.send(
                wire.body(text("keyboard_follow_up", self.locale), [keyboard],
                          silent=message.silent), chat_id=chat_id))
        self._progress.pop(message, None)
        if not done:
            raise Permanent(f"nothing to send to {message.chat}: the message has no text, "
                            "buttons or files")
        return Delivery(remote_id=done[-1], sent_at=self.now())

    async def _send_file(self, f: Any, caption: str, chat_id: int, silent: bool) -> Any:
        kind = wire.upload_kind(f.kind)
        payload = await self.client.upload(kind, f.filename, f.content, f.mime)
        att = [{"type": kind, "payload": payload}]
        return await self.client.send_when_ready(wire.body(caption, att, silent=silent),
                                                 chat_id=chat_id)

    async def _edit(self, message: Message, chat_id: int) -> Delivery:
        parts = split_html(message.text, wire.TEXT_LIMIT)
        keyboard = wire.keyboard(message.buttons)
        atts = [keyboard] if keyboard and len(parts) == 1 else []  # [] removes the old one
        await self.client.edit(message.edit_of or "", wire.body(parts[0], atts))
        for i, part in enumerate(parts[1:], 1):  # an edit cannot grow past one message
            last = [keyboard] if keyboard and i == len(parts) - 1 else None
            await self.client.send(wire.body(part, last, silent=True), chat_id=chat_id)
        return Delivery(remote_id=message.edit_of or "", sent_at=self.now())

    async def answer_callback(self, incoming: Incoming, text: str | None = None) -> None:
        if not incoming.callback_id:
            return
        try:
            await self.client.answer(incoming.callback_id, notification=text or "")
        except ApiPermanent as exc:
            if exc.status == 401:
                raise
            log.info("MAX callback answer ignored: %s", exc)  # late or repeated: harmless

    # --- receiving ------------------------------------------------------------------------
    async def updates(self) -> AsyncGenerator[Incoming, None]:  # closable: aclose()
        source = self._webhook_updates() if self.webhook else self._polled_updates()
        async for update in source:
            self._observe(update)
            if update.get("update_type") == "bot_added":
                await self._read_admin(str(update.get("chat_id")))
            inc = wire.incoming(update)
            if inc is not None:
                self._types[inc.chat_id] = inc.chat_type
                yield inc

    async def _polled_updates(self) -> AsyncIterator[dict[str, Any]]:
        await self._guarded(self._drop_subscriptions)
        marker: int | None = None
        backoff = 1.0
        while True:
            await self._refresh_admins()
            try:
                answer = await self.client.updates(marker=marker, hold=self.settings.poll_timeout,
                                                   types=UPDATE_TYPES)
            except Closed:
                return  # the hub is stopping: the end of the updates, not an error
            except (RetryLater, Permanent) as exc:
                self._state["last_error"] = str(exc)
                wait = exc.after if isinstance(exc, RetryLater) and exc.after else backoff
                backoff = min(backoff * 2, 60.0)
                await anyio.sleep(wait)
                continue
            backoff = 1.0
            self._state["last_error"] = None
            for update in answer.get("updates") or []:
                yield update
            # the next request carries the marker: MAX commits only what was yielded above
            marker = answer.get("marker", marker)

    async def _webhook_updates(self) -> AsyncIterator[dict[str, Any]]:
        assert self.webhook is not None
        await self.webhook.start()
        hook = self.settings.webhook
        await self._guarded(lambda: self.client.subscribe(hook.url, hook.secret, UPDATE_TYPES))
        async for update in self.webhook.stream():
            await self._refresh_admins()
            yield update

    async def _drop_subscriptions(self) -> None:
        for sub in await self.client.subscriptions():  # polling gets nothing while one exists
            log.warning("MAX: removing webhook subscription %s to use long polling", sub["url"])
            await self.client.unsubscribe(sub["url"])

    async def _guarded(self, call: Any) -> None:
        try:
            await call()
        except (RetryLater, Permanent) as exc:
            self._state["last_error"] = str(exc)
            log.warning("MAX: %s", exc)

    def _observe(self, update: dict[str, Any]) -> None:
        kind, chat = update.get("update_type"), str(update.get("chat_id", ""))
        if kind == "bot_added" and chat.startswith("-"):
            self._groups[chat] = {}
        elif kind == "bot_removed":
            self._groups.pop(chat, None)
        elif kind == "bot_admin_permissions_changed" and chat in self._groups:
            perms = update.get("permissions") or []
            self._groups[chat] = {"admin": bool(update.get("is_admin")),
                                  "read_all_messages": "read_all_messages" in perms}

    async def _refresh_admins(self) -> None:
        if time.monotonic() - self._admins_read_at < ADMIN_REFRESH_S:
            return
        self._admins_read_at = time.monotonic()
        if self._state["bot"] is None:
            try:
                self._state["bot"] = (await self.client.me()).get("username")
            except (RetryLater, Permanent) as exc:
                self._state["last_error"] = str(exc)
        for chat in list(self._groups):
            await self._read_admin(chat)

    async def _read_admin(self, chat: str) -> None:
        try:
            me = await self.client.my_membership(int(chat))
            self._groups[chat] = {"admin": bool(me.get("is_admin")), "read_all_messages":
                                  "read_all_messages" in (me.get("permissions") or [])}
        except (RetryLater, Permanent) as exc:
            self._groups[chat] = {"error": str(exc)}

    # --- facts for the core ---------------------------------------------------------------
    def is_group(self, chat: ChatRef) -> bool:
        kind = self._types.get(chat.chat_id)
        return kind in ("group", "channel") if kind else chat.chat_id.startswith("-")

    def health(self) -> dict[str, Any]:
        """Mode, bot, last error, and per group whether the bot can read commands there;
        ``warning`` is one line for /status (None when all is well)."""
        groups = {}
        warnings = []
        for chat, facts in self._groups.items():
            groups[chat] = dict(facts)
            if facts and not facts.get("error") and not facts.get("read_all_messages"):
                warnings.append(text("not_admin", self.locale, chat=chat))
        if self._state["last_error"]:
            warnings.append(self._state["last_error"])
        return {**self._state, "online": self._state["last_error"] is None,
                "ok": not warnings, "groups": groups, "warnings": warnings,
                "warning": " ".join(warnings) or None}
