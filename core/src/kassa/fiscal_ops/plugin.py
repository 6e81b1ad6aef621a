"""Built-in plugin: the fiscal settings sections, the ``/x`` ``/z`` chat commands, and the
monitor and the Z schedule started with the hub (their kinds: ``kassa.kinds_builtin``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio

from kassa import hookimpl
from kassa.fiscal_ops.settings import FiscalSettings, ZReportSettings
from kassa.fiscal_ops.texts import EN, RU

STATE = "kassa.fiscal_ops"  # hub.state(...): the monitor, the schedule, the event queue


@hookimpl
def register_settings() -> Mapping[str, type]:
    return {"fiscal": FiscalSettings, "sites.z_report": ZReportSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    return {"ru": {"fiscal_ops.help.x": RU["chat.x_help"], "fiscal_ops.help.z": RU["chat.z_help"]},
            "en": {"fiscal_ops.help.x": EN["chat.x_help"], "fiscal_ops.help.z": EN["chat.z_help"]}}


@hookimpl
def register_commands() -> list[Any]:
    from kassa.fiscal_ops.commands import COMMANDS

    return [c() for c in COMMANDS]


@hookimpl
def on_startup(hub: Any) -> None:
    from kassa.fiscal_ops.schedule import ZSchedule
    from kassa.fiscal_ops.watch import Monitor

    check_z_kinds(hub)
    settings = hub.section("fiscal", FiscalSettings)
    state = hub.state(STATE)
    state["monitor"] = monitor = Monitor(hub, settings)
    state["schedule"] = schedule = ZSchedule(hub)
    # on_event must not wait on a register: closing events are queued for the schedule's job
    send, recv = anyio.create_memory_object_stream[Any](1000)
    state["closing"] = send
    if settings.poll_interval > 0:
        hub.spawn(monitor.run, name="fiscal monitor")
    if any(hub.site_section(s.code, "z_report") for s in hub.settings.sites):
        hub.spawn(schedule.run, name="fiscal z schedule")

        async def follow() -> None:
            async for event in recv:
                await schedule.on_event(event)

        hub.spawn(follow, name="fiscal z with shift")


def check_z_kinds(hub: Any) -> None:
    """``[sites.z_report] on`` names kinds that close a shift: else the hub does not start,
    with one sentence naming the key (as for ``auto_reports_on``)."""
    import logging

    from kassa.errors import ConfigError
    from kassa.kinds import default_closing

    closing = hub.kinds.closing()
    for i, site in enumerate(hub.settings.sites):
        z = site.plugins.get("z_report")
        if z is None:
            continue
        for j, name in enumerate(z.on):
            if name not in closing or name == "z_report":
                raise ConfigError(f"{name!r} is not a POS kind that closes a shift (those: "
                                  f"{', '.join(default_closing(hub.kinds)) or 'none'})",
                                  path=f"sites[{i}].z_report.on[{j}]", file=hub.settings.file)
        if z.with_shift and not z.on and not default_closing(hub.kinds):
            logging.getLogger("kassa.fiscal_ops").warning(
                "sites[%d].z_report.with_shift: no installed plugin declares a shift close; "
                "the Z runs only at its time", i)


@hookimpl
def on_event(event: Any, hub: Any) -> None:
    spec = hub.kinds.get(event.kind)
    if spec is None or not spec.closes_shift:
        return
    send = hub.state(STATE).get("closing")
    if send is not None:
        try:
            send.send_nowait(event)
        except anyio.WouldBlock:  # a thousand closes queued: the schedule's clock still runs
            pass
