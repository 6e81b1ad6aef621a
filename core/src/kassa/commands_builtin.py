"""Built-in plugin: /start, /help, /status, /report, /settings — for every channel."""

from __future__ import annotations

from html import escape
from typing import Any

from kassa import hookimpl
from kassa.hookspecs.notify import Access
from kassa.model import Button, Reply
from kassa.reports import periods
from kassa.reports.service import message_for, site_label, site_tz


class Start:
    name = "start"
    description = "help.start"
    access = Access.ANYONE

    async def handle(self, ctx: Any, args: str) -> Reply:
        token = args.strip()
        if not token:
            return Reply(ctx.t("cmd.start.hello"))
        row = await ctx.hub.commands.use_link(token, ctx.incoming)
        if row is None:
            return Reply(ctx.t("cmd.start.bad_token"))
        if row.owners:
            return Reply(ctx.t("cmd.start.bound_owners"))
        return Reply(ctx.t("cmd.start.bound_site", site=site_label(ctx.hub, row.site, ctx.locale)))


class Help:
    name = "help"
    description = "help.help"
    access = Access.BOUND

    async def handle(self, ctx: Any, args: str) -> Reply:
        lines = []
        for name, cmd in sorted(ctx.hub.commands.registry.items()):
            if name == "contact":
                continue
            lines.append(f"/{name} — {escape(ctx.t(cmd.description))}")
        return Reply(ctx.t("cmd.help", commands="\n".join(lines)))


class Status:
    name = "status"
    description = "help.status"
    access = Access.BOUND

    async def handle(self, ctx: Any, args: str) -> Reply:
        hub = ctx.hub
        lines = [f"<b>{ctx.t('cmd.status.title')}</b>"]
        for code in ctx.sites:
            st = hub.site_state.get(code)
            name = escape(site_label(hub, code, ctx.locale))
            if st is None:
                state = ctx.t("cmd.status.unknown")
            elif st.get("online"):
                state = "🟢 " + ctx.t("cmd.status.online")
            else:
                since = st["since"].astimezone(site_tz(hub, code))
                state = "🔴 " + ctx.t("cmd.status.offline", since=since.strftime("%d.%m %H:%M"))
            last = st.get("last_event_at") if st else None
            last = last.astimezone(site_tz(hub, code)) if last else None
            when = last.strftime("%d.%m %H:%M") if last else ""
            tail = f"; {ctx.t('cmd.status.last', when=when)}" if last else ""
            lines.append(f"{name}: {state}{tail}")
        counts = await hub.outbox.counts()
        lines.append(ctx.t("cmd.status.undelivered", count=counts["pending"] + counts["dead"]))
        for ch in hub.channels.values():
            try:
                warn = ch.health().get("warning")
            except Exception:
                warn = None
            if warn:
                lines.append(ctx.t("cmd.status.channel_warn", channel=ch.name, text=escape(warn)))
        return Reply("\n".join(lines))


def offered(ctx: Any) -> list[tuple[str, str]]:
    """(name, title) of the reports this chat offers."""
    enabled = ctx.chat_settings().get("reports") or []
    out = []
    for name, rep in ctx.hub.plugins.reports().items():
        if not enabled or name in enabled:
            out.append((name, rep.title.get(ctx.locale) or rep.title.get("ru") or name))
    return out


class ReportCmd:
    """``/report`` walks site -> report -> period with buttons; ``/report NAME PERIOD`` directly."""

    name = "report"
    description = "help.report"
    access = Access.BOUND

    async def handle(self, ctx: Any, args: str) -> Reply:
        state = await ctx.recall(args) if args and ":" not in args and " " not in args and \
            ctx.incoming.callback_data else None
        if ctx.incoming.callback_data and state is None:
            return Reply(ctx.t("cmd.report.expired"))
        if state is None and args:
            name, _, spec = args.partition(" ")
            site = ctx.site
            return await self._run(ctx, site, name, spec.strip() or "today")
        state = state or {}
        site = state.get("site", ctx.site)
        if ctx.owners and "site" not in state:
            buttons = [[Button(site_label(ctx.hub, code, ctx.locale),
                               data=f"report:{await ctx.remember({'site': code})}")]
                       for code in ctx.sites]
            buttons.append([Button(ctx.t("report.all_sites"),
                                   data=f"report:{await ctx.remember({'site': None})}")])
            return Reply(ctx.t("cmd.report.pick_site"), buttons=buttons, edit=True)
        if "report" not in state:
            reps = offered(ctx)
            if not reps:
                return Reply(ctx.t("cmd.report.none"))
            buttons = [[Button(title,
                               data=f"report:{await ctx.remember({'site': site, 'report': n})}")]
                       for n, title in reps]
            return Reply(ctx.t("cmd.report.pick_report"), buttons=buttons, edit=True)
        if "period" not in state:
            row = []
            for p in periods.NAMED:
                sid = await ctx.remember({**state, "period": p})
                row.append(Button(ctx.t(f"period.{p}"), data=f"report:{sid}"))
            return Reply(ctx.t("cmd.report.pick_period") + "\n" + ctx.t("period.custom"),
                         buttons=[row[:2], row[2:]], edit=True)
        return await self._run(ctx, site, state["report"], state["period"])

    async def _run(self, ctx: Any, site: str | None, name: str, spec: str) -> Reply:
        if site is not None and site not in ctx.sites:
            site = ctx.site
        if name not in dict(offered(ctx)):
            return Reply(ctx.t("cmd.report.unknown"))
        closing = ctx.rule.closing if ctx.rule is not None else None  # the chat's shift
        msg = await message_for(ctx.hub, ctx.incoming.chat, name, site, spec, ctx.locale,
                                closing=closing)
        return Reply(msg.text, attachments=msg.attachments)


class Settings:
    """Chat admins switch which reports this chat offers."""

    name = "settings"
    description = "help.settings"
    access = Access.ADMIN

    async def handle(self, ctx: Any, args: str) -> Reply:
        current = ctx.chat_settings()
        all_reports = ctx.hub.plugins.reports()
        enabled = list(current.get("reports") or all_reports)
        if args and args in all_reports:
            enabled = [r for r in enabled if r != args] if args in enabled else [*enabled, args]
            await ctx.save_chat_settings({**current, "reports": enabled})
        rows = []
        for name, rep in all_reports.items():
            mark = "✅" if name in enabled else "▫️"
            rows.append([Button(f"{mark} {rep.title.get(ctx.locale) or name}",
                                data=f"settings:{name}")])
        head = ctx.t("cmd.settings.title")
        return Reply(head if not args else f"{ctx.t('cmd.settings.saved')}\n{head}",
                     buttons=rows, edit=bool(args))


@hookimpl
def register_commands() -> list[Any]:
    return [Start(), Help(), Status(), ReportCmd(), Settings()]
