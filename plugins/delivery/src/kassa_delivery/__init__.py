"""Kassa plugin delivery: remote fiscalization for delivery drivers on one office register,
with receipt copies to the buyer. Hook implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_delivery.settings import DeliverySettings

    return {"delivery": DeliverySettings}


@hookimpl
def register_migrations() -> Mapping[str, Path]:
    return {"delivery": Path(__file__).parent / "migrations"}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_delivery.texts import TEXTS

    return TEXTS


@hookimpl
def register_event_kinds() -> Sequence[Any]:
    from kassa_delivery.kinds import KINDS

    return KINDS


@hookimpl
def register_routes(hub: Any) -> Sequence[Any]:
    from kassa_delivery.api import router

    return [router(hub)]


@hookimpl
def on_startup(hub: Any) -> None:
    from kassa_delivery.worker import start

    start(hub)


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_delivery.demo import DeliveryDemo

    return [DeliveryDemo(settings)]


@hookimpl
def register_reports() -> Sequence[Any]:
    from kassa_delivery.reports import definitions

    return definitions()


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_delivery.cli import delivery

    cli.add_command(delivery)


@hookimpl
def register_console_panels() -> Sequence[Any]:
    from kassa_delivery.console import DeliveryPanel

    return [DeliveryPanel()]
