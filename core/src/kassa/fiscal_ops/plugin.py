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
