"""/hello: today's guests at the chat's restaurant."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from kassa.hookspecs.notify import Access, CommandContext
from kassa.model import Reply


class HelloCommand:
    name = "hello"
    description = "guests today"
    access = Access.BOUND  # chats bound to a site (or the owners' chat)

    async def handle(self, ctx: CommandContext, args: str) -> Reply:
        site = ctx.site or (ctx.sites[0] if ctx.sites else "")
        tz = ZoneInfo(ctx.hub.site(site).timezone)
        midnight = datetime.combine(datetime.now(tz).date(), time(), tz)
        guests = await ctx.hub.events(site=site, kinds=["hello_guest"], since=midnight)
        if ctx.locale == "ru":
            return Reply(f"Привет! Гостей сегодня: {len(guests)}")
        return Reply(f"Hello! Guests today: {len(guests)}")
