"""Guest bot commands: register by a shared phone, the virtual card (QR + Code 128), balance,
history, feedback to the managers' chat, unsubscribe; and mailings to a segment.

A guest is bound to the chat they registered from (``channel:chat_id``). Texts are escaped
HTML (the core's channels send HTML).
"""

from __future__ import annotations

import html
import io
from typing import Any

from kassa.hookspecs.notify import Access
from kassa.model import Attachment, ChatRef, Message, Reply

from kassa_bonus import code128, schema
from kassa_bonus.history import history_page
from kassa_bonus.service import BonusService, service_for
from kassa_bonus.store import LedgerError
from kassa_bonus.texts import points, say


def chat_key(ctx: Any) -> str:
    return f"{ctx.incoming.channel}:{ctx.incoming.chat_id}"


async def guest_of_chat(svc: BonusService, ctx: Any) -> str | None:
    from sqlalchemy import select

    async with svc.store.read() as conn:
        gid = (await conn.execute(select(schema.guest.c.id).where(
            schema.guest.c.chat == chat_key(ctx)))).scalar()
    return str(gid) if gid else None


def card_images(number: str) -> tuple[Attachment, Attachment]:
    import segno

    buf = io.BytesIO()
    segno.make(number, error="m").save(buf, kind="png", scale=8, border=2)
    return (Attachment("card-qr.png", buf.getvalue(), "image/png", "photo", caption=number),
            Attachment("card-barcode.png", code128.png(number), "image/png", "photo"))


class _Guest:
    access = Access.ANYONE

    async def handle(self, ctx: Any, args: str) -> Reply | None:
        svc = await service_for(ctx.hub)
        gid = await guest_of_chat(svc, ctx)
        if gid is None:
            return Reply(say(ctx.locale, "not_registered"))
        return await self.answer(svc, ctx, gid, args)

    async def answer(self, svc: BonusService, ctx: Any, gid: str, args: str) -> Reply:
        raise NotImplementedError


class ContactCommand:
    """A shared contact: register the guest (or bind this chat to the guest with that phone)."""

    name = "contact"
    description = "bonus.help.contact"
    access = Access.ANYONE

    async def handle(self, ctx: Any, args: str) -> Reply | None:
        svc = await service_for(ctx.hub)
        inc = ctx.incoming
        try:
            gid = await svc.guests.find(args) if args else None
            if gid is None:
                out = await svc.register("bot", f"{inc.channel}:{inc.user_id}",
                                         name=inc.user_name or "", phone=args, consent=True,
                                         chat=chat_key(ctx))
                gid = out.guest
            else:
                await svc.guests.update_profile(gid, chat=chat_key(ctx))
        except LedgerError as exc:
            return Reply(html.escape(str(exc)))
        return await card_reply(svc, ctx, gid, "registered")


async def card_reply(svc: BonusService, ctx: Any, gid: str, text_key: str) -> Reply:
    guest = await svc.guest(gid)
    number = next((i.value for i in guest.identifiers
                   if str(i.kind) == "virtual" and i.status == "active"), "")
    if not number:
        return Reply(say(ctx.locale, "blocked", reason="—"))
    return Reply(html.escape(say(ctx.locale, text_key, card=number)),
                 attachments=card_images(number))


class CardCommand(_Guest):
    name = "card"
    description = "bonus.help.card"

    async def answer(self, svc: BonusService, ctx: Any, gid: str, args: str) -> Reply:
        return await card_reply(svc, ctx, gid, "registered")


class BalanceCommand(_Guest):
    name = "balance"
    description = "bonus.help.balance"

    async def answer(self, svc: BonusService, ctx: Any, gid: str, args: str) -> Reply:
        guest = await svc.guest(gid)
        bonus = next(a for a in guest.accounts if str(a.kind) == "bonus")
        shown, count = points(bonus.available, ctx.locale)
        return Reply(html.escape(say(ctx.locale, "balance", balance=shown, count=count,
                                     level=guest.level)))


class HistoryCommand(_Guest):
    name = "history"
    description = "bonus.help.history"

    async def answer(self, svc: BonusService, ctx: Any, gid: str, args: str) -> Reply:
        page = await history_page(svc.store, gid, 10, 0)
        if not page["items"]:
            return Reply(say(ctx.locale, "history_empty"))
        lines = [f"{i['at'][:10]}  {i['kind']}  {points(i['amount'], ctx.locale)[0]}"
                 for i in page["items"]]
        return Reply("<pre>" + html.escape("\n".join(lines)) + "</pre>")


class FeedbackCommand(_Guest):
    name = "feedback"
    description = "bonus.help.feedback"

    async def answer(self, svc: BonusService, ctx: Any, gid: str, args: str) -> Reply:
        target = svc.settings.managers_chat
        if not args.strip():
            return Reply(say(ctx.locale, "feedback_usage"))
        if target:
            channel, _, chat_id = target.partition(":")
            guest = await svc.guest(gid)
            text = f"<b>Отзыв гостя</b> {html.escape(guest.name or '—')}:\n{html.escape(args)}"
            await ctx.hub.send(Message(ChatRef(channel, chat_id), text, kind="reply"),
                               key=f"bonus-feedback:{ctx.incoming.channel}:"
                                   f"{ctx.incoming.update_id}")
        return Reply(say(ctx.locale, "feedback_thanks"))


class UnsubscribeCommand(_Guest):
    name = "unsubscribe"
    description = "bonus.help.unsubscribe"

    async def answer(self, svc: BonusService, ctx: Any, gid: str, args: str) -> Reply:
        await svc.guests.update_profile(gid, unsubscribed=True)
        return Reply(say(ctx.locale, "unsubscribed"))


def commands() -> list[Any]:
    return [ContactCommand(), CardCommand(), BalanceCommand(), HistoryCommand(),
            FeedbackCommand(), UnsubscribeCommand()]


async def send_mailing(svc: BonusService, key: str, text_html: str, *,
                       groups: list[str] | None = None, level: str | None = None) -> int:
    """Queue a mailing (already-escaped HTML) to consenting, subscribed guests with a bot chat,
    optionally only some groups / a level; idempotent per (key, guest). Returns how many."""
    import json

    from sqlalchemy import select

    G = schema.guest
    n = 0
    async with svc.store.write() as conn:  # the whole mailing is queued, or none of it
        rows = (await conn.execute(select(G.c.id, G.c.chat, G.c.groups).where(
            G.c.chat.is_not(None), G.c.consent.is_(True), G.c.unsubscribed.is_(False)))).all()
        for gid, chat, raw_groups in rows:
            if groups and not set(groups) & set(json.loads(raw_groups)):
                continue
            if level and (await guest_level(svc, conn, gid)) != level:
                continue
            channel, _, chat_id = chat.partition(":")
            body = text_html + "\n\n/unsubscribe"
            n += await svc.hub.send(Message(ChatRef(channel, chat_id), body, kind="mailing"),
                                    key=f"bonus-mailing:{key}:{gid}", conn=conn)
    return n


async def guest_level(svc: BonusService, conn: Any, gid: str) -> str:
    from sqlalchemy import select

    A = schema.account
    earned = (await conn.execute(select(A.c.earned).where(A.c.guest_id == gid,
                                                          A.c.kind == "bonus"))).scalar() or 0
    return svc.level_name(earned)
