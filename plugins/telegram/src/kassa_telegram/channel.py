"""The ``Channel`` the hub sends through and reads chat updates from."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from kassa.errors import KassaError, Permanent, RetryLater
from kassa.model import ChannelLimits, ChatRef, Delivery, Incoming, Message
from kassa.serving import AsgiServer

from kassa_telegram.client import BotClient
from kassa_telegram.failures import Conflict, MarkupRejected, NotModified, Unauthorized
from kassa_telegram.incoming import ALLOWED_UPDATES, to_incoming
from kassa_telegram.outgoing import Piece, as_plain, keyboard, pieces
from kassa_telegram.settings import TelegramSettings
from kassa_telegram.webhook import WebhookListener

log = logging.getLogger(__name__)

# Bots FAQ: ~1 msg/s per chat, 20 msg/min per group, ~30 msg/s per bot; Bot API hard limits.
LIMITS = ChannelLimits(per_chat_per_s=1, per_group_per_min=20, per_bot_per_s=30,
                       max_text=4096, max_callback_data=64)
_PROGRESS_KEEP = 256  # messages whose first parts went out before a failure


class TelegramChannel:
    name: str
    limits = LIMITS

    def __init__(self, settings: TelegramSettings, *, name: str = "telegram",
                 client: BotClient | None = None, backoff_base: float = 1.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.name = name
        self.now = now  # the hub's clock
        self.settings = settings
        self.client = client or BotClient(
            settings.token, settings.base_url, proxy=settings.proxy,
            ca_bundle=settings.ca_bundle, timeout=settings.request_timeout)
        self.backoff_base = backoff_base
        self.username = ""
        self.listener: WebhookListener | None = None
        self._offset: int | None = None
        self._progress: OrderedDict[Message, list[str]] = OrderedDict()
        self._state: dict[str, Any] = {"sent": 0, "received": 0, "last_ok": None,
                                       "last_error": None}

    async def deep_link(self, token: str) -> str:
        """A link that adds the bot to a group, which then receives ``/start <token>``."""
        if not self.username:
            self.username = (await self.client.get_me()).get("username", "")
        return f"https://t.me/{self.username}?startgroup={token}"

    # --- sending ---------------------------------------------------------------------------
    async def send(self, message: Message) -> Delivery:
        try:
            delivery = await self._send(message)
        except KassaError as err:
            self._state["last_error"] = self.client.redact(str(err))
            raise
        self._state["sent"] += 1
        self._state["last_ok"] = self.now().isoformat()
        self._state["last_error"] = None
        return delivery

    async def _send(self, message: Message) -> Delivery:
        markup = keyboard(message.buttons)
        plan = pieces(message)
        if not plan:
            raise Permanent("the message has no text and no attachments")
        done = self._progress.setdefault(message, [])
        self._progress.move_to_end(message)
        while len(self._progress) > _PROGRESS_KEEP:
            self._progress.popitem(last=False)
        result: dict[str, Any] = {}
        for i, piece in enumerate(plan):
            if i < len(done):
                continue  # went out on an earlier attempt: never twice
            last = i == len(plan) - 1
            edit = message.edit_of if i == 0 and piece.attachment is None else None
            result = await self._deliver(message, piece, markup if last else None, edit)
            done.append(str(result.get("message_id", message.edit_of)))
        self._progress.pop(message, None)
        # our clock, not Telegram's whole-second date: the outbox and reports compare it
        # with the hub's other times (and a test's fake clock drives it)
        return Delivery(remote_id=done[-1], sent_at=self.now())

    def _common(self, message: Message) -> dict[str, Any]:
        extra: dict[str, Any] = {"parse_mode": "HTML"}
        if message.chat.thread_id:
            extra["message_thread_id"] = int(message.chat.thread_id)
        if message.silent:
            extra["disable_notification"] = True
        return extra

    async def _deliver(self, message: Message, piece: Piece, markup: dict[str, Any] | None,
                       edit_of: str | None) -> dict[str, Any]:
        try:
            return await self._call(message, piece, markup, edit_of)
        except MarkupRejected as err:
            # Our HTML was refused: say it readable rather than not at all (protocol §1.5).
            log.warning("Telegram refused the markup of a message to %s (%s); sending it as "
                        "plain text", message.chat, err)
            return await self._call(message, Piece(as_plain(piece.html), piece.attachment),
                                    markup, edit_of)

    async def _call(self, message: Message, piece: Piece, markup: dict[str, Any] | None,
                    edit_of: str | None) -> dict[str, Any]:
        chat_id, extra = message.chat.chat_id, self._common(message)
        if markup is not None:
            extra["reply_markup"] = markup
        if piece.attachment is not None:
            a = piece.attachment
            return await self.client.send_file(
                a.kind, chat_id, (a.filename, a.content, a.mime),
                caption=piece.html or None, **extra)
        if edit_of is not None:
            extra.pop("message_thread_id", None)
            extra.pop("disable_notification", None)
            try:
                return await self.client.edit_message_text(chat_id, int(edit_of), piece.html,
                                                           **extra)
            except NotModified:
                return {"message_id": int(edit_of)}
            except Permanent as err:
                if "message to edit not found" not in str(err) and \
                        "message can't be edited" not in str(err):
                    raise
                log.info("message %s in %s cannot be edited; sending anew", edit_of,
                         message.chat)
        return await self.client.send_message(
            chat_id, piece.html, link_preview_options={"is_disabled": True}, **extra)

    # --- receiving -------------------------------------------------------------------------
    async def updates(self) -> AsyncGenerator[Incoming, None]:  # closable: aclose()
        self.username = (await self._retrying(self.client.get_me)).get("username", "")
        source = self._webhook() if self.settings.mode == "webhook" else self._poll()
        async for update, ack in source:
            inc = to_incoming(update, channel=self.name, bot_username=self.username)
            if inc is not None:
                self._state["received"] += 1
                yield inc  # resumes once the hub has persisted it
            ack()

    async def _poll(self) -> AsyncIterator[tuple[dict[str, Any], Any]]:
        await self._retrying(self.client.delete_webhook)  # getUpdates fails while one is set
        failures = 0
        while True:
            try:
                batch = await self.client.get_updates(self._offset, self.settings.poll_timeout,
                                                      ALLOWED_UPDATES)
            except KassaError as err:
                failures += 1
                await self._pause(err, failures)
                continue
            failures = 0
            for update in batch:
                uid = int(update["update_id"])
                yield update, lambda uid=uid: setattr(self, "_offset", uid + 1)

    async def _webhook(self) -> AsyncIterator[tuple[dict[str, Any], Any]]:
        hook = self.settings.webhook
        secret = hook.secret_token.reveal()
        if not secret:
            log.warning("telegram.webhook.secret_token is empty: anyone who finds the URL can "
                        "post updates; set one")
        self.listener = WebhookListener(hook.path, secret)
        server = AsgiServer(self.listener, hook.listen_host, hook.listen_port)
        await server.start()
        try:
            await self._retrying(self.client.set_webhook, hook.url, secret or None,
                                 ALLOWED_UPDATES)
            while True:
                update, taken = await self.listener.queue.get()
                yield update, lambda taken=taken: taken.done() or taken.set_result(None)
        finally:
            await server.stop()

    async def _retrying(self, fn: Any, *args: Any) -> Any:
        failures = 0
        while True:
            try:
                return await fn(*args)
            except KassaError as err:
                failures += 1
                await self._pause(err, failures)

    async def _pause(self, err: KassaError, failures: int) -> None:
        text = self.client.redact(str(err))
        self._state["last_error"] = text
        if isinstance(err, RetryLater) and err.after:
            delay = err.after
        else:
            cap = 300.0 if isinstance(err, Unauthorized | Conflict) else 60.0
            delay = random.uniform(0, min(cap, self.backoff_base * 2 ** failures))
        level = logging.ERROR if isinstance(err, Permanent) else logging.WARNING
        log.log(level, "telegram updates: %s; next try in %.1f s", text, delay)
        await asyncio.sleep(delay)

    async def answer_callback(self, incoming: Incoming, text: str | None = None) -> None:
        if not incoming.callback_id:
            return
        try:
            await self.client.answer_callback_query(incoming.callback_id, text)
        except Permanent as err:
            if "query is too old" not in str(err):
                raise
            log.debug("button press %s answered too late", incoming.callback_id)

    def is_group(self, chat: ChatRef) -> bool:
        return chat.chat_id.startswith("-")  # groups, supergroups and channels are negative

    def health(self) -> dict[str, Any]:
        # online as the Channel contract says: the last exchange with Telegram went through
        out = {"name": self.name, "mode": self.settings.mode, "bot": self.username or None,
               **self._state, "online": not self._state["last_error"]}
        if self._state["last_error"]:
            out["warning"] = self._state["last_error"]
        if self.listener is not None:
            out["webhook_rejected"] = self.listener.rejected
        return out

    async def aclose(self) -> None:
        await self.client.aclose()


__all__ = ["LIMITS", "TelegramChannel"]
