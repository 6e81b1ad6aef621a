"""Chat commands: incoming updates are persisted (inbox), then dispatched to commands.

A command answers only in chats bound to a site or to the owners (by config or by a one-time
link), and only to allowed users; everyone else gets one polite refusal and nothing else.
Replies go through the outbox with a key made from the update, so a restart neither loses
nor repeats an answer.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import attrs
from sqlalchemy import select, update
from sqlmodel import col

from kassa import codec
from kassa.config import ChatSettings
from kassa.errors import UserError
from kassa.hookspecs.notify import Access, Channel, ChatCommand
from kassa.i18n import t
from kassa.model import Incoming, Message, Reply
from kassa.reports.service import ReportHost
from kassa.store import dialect_insert
from kassa.store.tables import ButtonStateRow, ChatStateRow, InboxRow, LinkTokenRow

if TYPE_CHECKING:
    from kassa.outbox import Outbox
    from kassa.routing import ChatRule, Router
    from kassa.store import Store

log = logging.getLogger("kassa.commands")
REFUSAL_PERIOD = timedelta(hours=1)  # one refusal per stranger per chat in this time
SETTABLE = ("reports", "auto_reports", "alerts", "service_print", "min_severity")


class CommandHost(ReportHost, Protocol):
    """What chat commands and their router read from the hub (``kassa.hub.Hub`` has it);
    typed here so this module never imports the hub that builds it."""

    @property
    def store(self) -> Store: ...
    @property
    def router(self) -> Router: ...
    @property
    def channels(self) -> Mapping[str, Channel]: ...
    @property
    def commands(self) -> CommandRouter: ...
    @property
    def outbox(self) -> Outbox: ...  # /status reads its counts
    @property
    def site_state(self) -> Mapping[str, dict[str, Any]]: ...

    async def send(self, message: Message, *, key: str, conn: Any = None) -> bool: ...


@attrs.define
class Context:
    """``kassa.hookspecs.notify.CommandContext`` for one incoming update."""

    hub: CommandHost
    incoming: Incoming
    locale: str
    site: str | None
    owners: bool
    sites: Sequence[str]
    rule: ChatRule | None = None

    def chat_settings(self) -> dict[str, Any]:
        if self.rule is None:
            return {}
        return {k: getattr(self.rule.settings, k) for k in SETTABLE}

    async def save_chat_settings(self, settings: dict[str, Any]) -> None:
        await self._router.save_settings(self.incoming.channel, self.incoming.chat_id,
                                         settings)

    def t(self, key: str, **kw: Any) -> str:
        return t(key, self.locale, **kw)

    async def remember(self, payload: dict[str, Any]) -> str:
        """Keep button state server-side; the returned id fits any callback data."""
        return await self._router.remember(payload)

    async def recall(self, state_id: str) -> dict[str, Any] | None:
        return await self._router.recall(state_id)

    @property
    def _router(self) -> CommandRouter:
        router: CommandRouter = self.hub.commands  # Hub.commands is typed Any
        return router


def parse(inc: Incoming) -> tuple[str, str] | None:
    """(command, args) from a text, a button press or a shared contact; None otherwise."""
    if inc.callback_data:
        name, _, args = inc.callback_data.partition(":")
        return name, args
    if inc.contact_phone:
        return "contact", inc.contact_phone
    text = (inc.text or "").strip()
    if not text.startswith("/"):
        return None
    head, _, args = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), args.strip()


class CommandRouter:
    def __init__(self, hub: CommandHost) -> None:
        self.hub = hub
        self.registry: dict[str, ChatCommand] = hub.plugins.commands()
        self.handled = 0
        self.refused = 0
        self._refused_at: OrderedDict[tuple[str, str, str], datetime] = OrderedDict()

    # --- state -----------------------------------------------------------------------------
    async def load(self) -> None:
        """Apply what chats changed about themselves (links, settings, migrations)."""
        async with self.hub.store.read() as conn:
            rows = (await conn.execute(select(ChatStateRow))).all()
        for r in rows:
            if r.migrated_to:
                self.hub.router.rename(r.channel, r.chat_id, r.migrated_to)
                continue
            rule = self.hub.router.get(r.channel, r.chat_id)
            base = rule.settings if rule else (
                ChatSettings(channel=r.channel, chat_id=r.chat_id, site=r.site, owners=r.owners,
                             name=r.title or "") if (r.site or r.owners) else None)
            if base is None:
                continue
            overrides = {k: v for k, v in json.loads(r.settings or "{}").items() if k in SETTABLE}
            self.hub.router.put(attrs.evolve(base, **overrides))

    async def _upsert_state(self, channel: str, chat_id: str, **values: Any) -> None:
        now = self.hub.clock.now()
        async with self.hub.store.write() as conn:
            this_chat = (col(ChatStateRow.channel) == channel,
                         col(ChatStateRow.chat_id) == chat_id)
            exists = (await conn.execute(select(col(ChatStateRow.chat_id)).where(
                *this_chat))).first()
            if exists:
                await conn.execute(update(ChatStateRow).where(*this_chat).values(
                    updated_at=now, **values))
            else:
                await conn.execute(dialect_insert(conn, ChatStateRow).values(
                    channel=channel, chat_id=chat_id, updated_at=now,
                    settings=values.pop("settings", "{}"), **values))

    async def save_settings(self, channel: str, chat_id: str, settings: dict[str, Any]) -> None:
        clean = {k: v for k, v in settings.items() if k in SETTABLE}
        rule = self.hub.router.get(channel, chat_id)
        if rule is None:
            raise UserError("this chat is not bound")
        await self._upsert_state(channel, chat_id, settings=json.dumps(clean, ensure_ascii=False))
        self.hub.router.put(attrs.evolve(rule.settings, **clean))

    async def migrated(self, channel: str, old: str, new: str) -> None:
        await self._upsert_state(channel, old, migrated_to=new)

    async def remember(self, payload: dict[str, Any]) -> str:
        state_id = secrets.token_urlsafe(6)
        async with self.hub.store.write() as conn:
            await conn.execute(dialect_insert(conn, ButtonStateRow).values(
                id=state_id, payload=json.dumps(payload, ensure_ascii=False),
                created_at=self.hub.clock.now()))
        return state_id

    async def recall(self, state_id: str) -> dict[str, Any] | None:
        async with self.hub.store.read() as conn:
            row = (await conn.execute(select(col(ButtonStateRow.payload)).where(
                col(ButtonStateRow.id) == state_id))).first()
        return json.loads(row.payload) if row else None

    # --- links -----------------------------------------------------------------------------
    async def create_link(self, site: str | None, *, owners: bool = False,
                          hours: int = 24) -> str:
        if site is not None and self.hub.settings.site(site) is None:
            raise UserError(f"no site with code {site!r} in kassa.toml")
        token = secrets.token_urlsafe(24)  # 32 base64url chars: fits Telegram's 64
        now = self.hub.clock.now()
        async with self.hub.store.write() as conn:
            await conn.execute(dialect_insert(conn, LinkTokenRow).values(
                token=token, site=site, owners=owners, created_at=now,
                expires_at=now + timedelta(hours=hours)))
        return token

    async def use_link(self, token: str, inc: Incoming) -> LinkTokenRow | None:
        now = self.hub.clock.now()
        async with self.hub.store.write() as conn:
            row = (await conn.execute(select(LinkTokenRow).where(
                col(LinkTokenRow.token) == token, col(LinkTokenRow.used_at).is_(None)))).first()
            if row is None:
                return None
            exp = row.expires_at
            if not exp.tzinfo:
                exp = exp.replace(tzinfo=now.tzinfo)
            if exp < now:
                return None
            await conn.execute(update(LinkTokenRow).where(col(LinkTokenRow.token) == token).values(
                used_at=now, used_by=f"{inc.channel}:{inc.chat_id}"))
        await self._upsert_state(inc.channel, inc.chat_id, site=row.site, owners=row.owners,
                                 title=inc.chat_title)
        self.hub.router.put(ChatSettings(channel=inc.channel, chat_id=inc.chat_id, site=row.site,
                                         owners=row.owners, name=inc.chat_title or ""))
        return LinkTokenRow.model_validate(dict(row._mapping))

    # --- the inbox -------------------------------------------------------------------------
    async def run_channel(self, channel: Channel) -> None:
        async for inc in channel.updates():
            if await self._persist(inc):
                await self._handle_row(channel, inc)

    async def _persist(self, inc: Incoming) -> bool:
        async with self.hub.store.write() as conn:
            stmt = dialect_insert(conn, InboxRow).values(
                channel=inc.channel, update_id=inc.update_id, status="new",
                received_at=self.hub.clock.now(), payload=codec.dumps(inc))
            stmt = stmt.on_conflict_do_nothing(index_elements=["channel", "update_id"])
            return bool((await conn.execute(stmt.returning(col(InboxRow.id)))).all())

    async def resume(self) -> None:
        """Handle updates persisted before a restart but never handled."""
        async with self.hub.store.read() as conn:
            rows = (await conn.execute(select(col(InboxRow.payload)).where(
                col(InboxRow.status) == "new").order_by(col(InboxRow.id)))).all()
        for r in rows:
            inc = codec.loads(r.payload, Incoming)
            ch = self.hub.channels.get(inc.channel)
            if ch is not None:
                await self._handle_row(ch, inc)

    async def _handle_row(self, channel: Channel, inc: Incoming) -> None:
        status, error = "done", None
        try:
            await self.handle(channel, inc)
        except Exception as exc:
            log.exception("command failed for update %s:%s", inc.channel, inc.update_id)
            status, error = "failed", repr(exc)[:500]
        async with self.hub.store.write() as conn:
            await conn.execute(update(InboxRow).where(
                col(InboxRow.channel) == inc.channel,
                col(InboxRow.update_id) == inc.update_id).values(
                status=status, error=error, handled_at=self.hub.clock.now()))

    def _first_refusal(self, inc: Incoming) -> bool:
        """True once per (chat, user) per ``REFUSAL_PERIOD`` (memory only: a restart may
        let one more refusal through)."""
        now = self.hub.clock.now()
        who = (inc.channel, inc.chat_id, inc.user_id)
        last = self._refused_at.get(who)
        if last is not None and now - last < REFUSAL_PERIOD:
            return False
        self._refused_at[who] = now
        self._refused_at.move_to_end(who)
        while len(self._refused_at) > 10_000:  # bounded: strangers are many
            self._refused_at.popitem(last=False)
        return True

    @staticmethod
    def _stranger(rule: ChatRule | None, inc: Incoming) -> bool:
        """Not one of the chat's people (an allowed user refused an admin command is not)."""
        if rule is None:
            return True
        s = rule.settings
        return bool(s.users) and inc.user_id not in s.users and inc.user_id not in s.admins

    def allowed(self, cmd: ChatCommand, rule: ChatRule | None, inc: Incoming) -> bool:
        if cmd.access == Access.ANYONE:
            return True
        if rule is None:
            return False
        s = rule.settings
        if cmd.access == Access.ADMIN:
            return inc.user_id in s.admins
        return not s.users or inc.user_id in s.users or inc.user_id in s.admins

    async def handle(self, channel: Channel, inc: Incoming) -> None:
        parsed = parse(inc)
        rule = self.hub.router.get(inc.channel, inc.chat_id)
        locale = self.hub.router.locale(rule) if rule else self.hub.locale
        if parsed is None:
            return  # plain chat talk is none of our business
        name, args = parsed
        cmd = self.registry.get(name)
        reply: Reply | None
        if cmd is None and rule is not None:
            reply = Reply(t("cmd.unknown", locale))
        elif cmd is None or not self.allowed(cmd, rule, inc):
            self.refused += 1
            # a stranger gets one polite refusal per period, then silence: each answer would
            # spend the group's shared budget (20 a minute on Telegram)
            first = not self._stranger(rule, inc) or self._first_refusal(inc)
            log.info("refused /%s from user %s in %s:%s%s", name, inc.user_id, inc.channel,
                     inc.chat_id, "" if first else " (silently: refused lately)")
            reply = Reply(t("cmd.refused", locale)) if first else None
        else:
            sites = [s.code for s in self.hub.settings.sites]
            ctx = Context(hub=self.hub, incoming=inc, locale=locale,
                          site=rule.settings.site if rule else None,
                          owners=bool(rule and rule.settings.owners),
                          sites=sites if rule and rule.settings.owners else
                          ([rule.settings.site] if rule and rule.settings.site else []),
                          rule=rule)
            try:
                # Context.hub is the full Hub; mypy matches CommandContext's settable
                # ``hub: HubAPI`` invariantly, so a Hub there counts as a mismatch.
                reply = await cmd.handle(ctx, args)  # type: ignore[arg-type]
            except UserError as exc:
                reply = Reply(str(exc))
            self.handled += 1
        if inc.callback_id:
            try:
                await channel.answer_callback(inc)
            except Exception:
                log.warning("could not answer a button press on %s", inc.channel)
        if reply is not None:
            edit = inc.message_id if (reply.edit and inc.callback_data) else None
            msg = Message(chat=inc.chat, text=reply.text, buttons=reply.buttons,
                          attachments=reply.attachments, kind="reply", edit_of=edit)
            await self.hub.send(msg, key=f"reply:{inc.channel}:{inc.update_id}")
