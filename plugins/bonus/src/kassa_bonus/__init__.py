"""Kassa plugin bonus: the loyalty engine (ledger, rules, REST API). Hooks only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> dict[str, type]:
    from kassa_bonus.settings import BonusSettings

    return {"bonus": BonusSettings}


@hookimpl
def register_migrations() -> dict[str, Path]:
    return {"bonus": Path(__file__).parent / "migrations"}


@hookimpl
async def on_startup(hub: Any) -> None:
    from kassa_bonus import scheduler
    from kassa_bonus.service import service_for

    svc = await service_for(hub)
    scheduler.start(hub, svc)


@hookimpl
def register_loyalty_programs(hub: Any) -> list[Any]:
    from kassa_bonus.program import BonusProgram

    return [BonusProgram(hub)]


@hookimpl
def register_payment_methods(hub: Any) -> list[Any]:
    from kassa_bonus.program import AccountPayment

    return [AccountPayment(hub, "bonus", "bonus"), AccountPayment(hub, "deposit", "debit")]


@hookimpl
def register_routes(hub: Any) -> list[Any]:
    from kassa_bonus import api

    return [api.router(hub)]


@hookimpl
def register_reports() -> list[Any]:
    from kassa_bonus.reports import definitions

    return definitions()


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_bonus.cli import group

    cli.add_command(group())


@hookimpl
def register_texts() -> dict[str, dict[str, str]]:
    from kassa_bonus.texts import catalogue

    return catalogue()


@hookimpl
def register_commands() -> list[Any]:
    from kassa_bonus.bot import commands

    return commands()


@hookimpl
def register_simulators(settings: Any) -> list[Any]:
    from kassa_bonus.demo import BonusDemo

    return [BonusDemo(settings)]


@hookimpl
def register_console_panels() -> list[Any]:
    from kassa_bonus.console import LoyaltyPanel

    return [LoyaltyPanel()]
