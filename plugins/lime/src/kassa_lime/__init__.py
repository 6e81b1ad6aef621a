"""Kassa plugin lime: pay from Lime cards' rights at the till, checks put to Lime once, the
detailed sales report, a simulator of Lime's API. Hooks only."""

from __future__ import annotations

from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> dict[str, type]:
    from kassa_lime.settings import LimeSettings

    return {"lime": LimeSettings}


@hookimpl
def register_payment_methods(hub: Any) -> list[Any]:
    from kassa_lime.runtime import runtime_for

    rt = runtime_for(hub)
    return [] if rt is None else [rt.accounts]


@hookimpl
def register_loyalty_programs(hub: Any) -> list[Any]:
    from kassa_lime.runtime import runtime_for

    rt = runtime_for(hub)
    return [] if rt is None or not rt.settings.loyalty else [rt.loyalty]


@hookimpl
def on_startup(hub: Any) -> None:
    from kassa_lime.runtime import runtime_for

    rt = runtime_for(hub)
    if rt is not None:  # checks the till took while Lime was away go when it is back
        hub.spawn(rt.accounts.delivery.run, name="lime-delivery")


@hookimpl
async def on_shutdown(hub: Any) -> None:
    rt = hub.state("lime").get("runtime")
    if rt is not None:
        await rt.close()


@hookimpl
def register_event_kinds() -> list[Any]:
    from kassa_lime.kinds import KINDS

    return list(KINDS)


@hookimpl
def register_texts() -> dict[str, dict[str, str]]:
    from kassa_lime.texts import TEXTS

    return TEXTS


@hookimpl
def register_reports() -> list[Any]:
    from kassa_lime.reports import DetailedSales
    from kassa_lime.runtime import runtime_for

    return [DetailedSales(runtime_for)]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_lime.cli import lime

    cli.add_command(lime)


@hookimpl
def register_simulators(settings: Any) -> list[Any]:
    from kassa_lime.sim import LimeSimulator

    return [LimeSimulator(demo=True)]
