"""``/x`` (an X report) and ``/z`` (close the register shift) from a chat. ``/x`` is for the
chat's allowed users, ``/z`` for its admins (the command router refuses anyone else with
one sentence). A site's chat acts on its site; the owners' chat names one: ``/x SITE``."""

from __future__ import annotations

from html import escape
from typing import Any

from kassa.errors import UserError
from kassa.fiscal_ops import actions, registers
from kassa.fiscal_ops.render import document_line
from kassa.fiscal_ops.texts import say
from kassa.hookspecs.notify import Access
from kassa.model import Reply


class _FiscalCommand:
    name = ""
    action = ""
    description = ""
    access = Access.BOUND

    async def handle(self, ctx: Any, args: str) -> Reply:
        hub = ctx.hub
        site = ctx.site
        words = args.split()
        if ctx.owners or site is None:
            if not words:
                return Reply(escape(say("err.pick_site", ctx.locale, cmd=self.name,
                                        sites=", ".join(ctx.sites) or "—")))
            site = words.pop(0)
            if site not in ctx.sites:
                return Reply(escape(say("err.site", ctx.locale, site=site)))
        register = words[0] if words else None
        key = f"chat:{ctx.incoming.channel}:{ctx.incoming.update_id}:{self.name}"
        try:
            reg = registers.one(hub.settings, list(hub.fiscal_devices), site=site,
                                register=register, locale=ctx.locale)
            params = {"cashier": getattr(hub.section("fiscal"), "cashier", "")}
            doc, replayed = await actions.run(hub, reg, self.action, params, key=key,
                                              locale=ctx.locale)
        except UserError as exc:
            return Reply(escape(str(exc)))
        text = document_line(self.action, doc, reg.name, ctx.locale)
        if replayed:
            text += "\n" + say("doc.replayed", ctx.locale)
        return Reply(escape(text))


class XReport(_FiscalCommand):
    name = "x"
    action = "x-report"
    description = "fiscal_ops.help.x"
    access = Access.BOUND


class ZReport(_FiscalCommand):
    name = "z"
    action = "close-shift"
    description = "fiscal_ops.help.z"
    access = Access.ADMIN  # closing the shift is final: the chat's admins only


COMMANDS = (XReport, ZReport)
