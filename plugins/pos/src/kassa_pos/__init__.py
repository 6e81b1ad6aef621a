"""Kassa plugin pos: a shop's cash desk on the core's fiscal, payment, loyalty and device
contracts. Hook implementations only; the till engine is ``kassa_pos.engine`` (no UI
imports)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_pos.settings import PosSettings
    from kassa_pos.sim_settings import ShopSettings

    return {"pos": PosSettings, "pos_demo": ShopSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, Any]]:
    # plain dicts (no Textual import): the till's texts, for the CLI and the till app
    from kassa_pos.till import texts, texts_guest, texts_reports, texts_returns, texts_screens

    parts = (texts, texts_screens, texts_returns, texts_reports, texts_guest)
    return {loc: {k: v for part in parts for k, v in part.TEXTS[loc].items()}
            for loc in ("ru", "en")}


@hookimpl
def register_event_kinds() -> Sequence[Any]:
    from kassa_pos.kinds import KINDS

    return KINDS


@hookimpl
def register_migrations() -> Mapping[str, Path]:
    return {"pos": Path(__file__).parent / "migrations"}


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_pos.chain.cli import group as chain_group
    from kassa_pos.cli import group

    cli.add_command(group())
    cli.add_command(chain_group())


@hookimpl
def register_demos() -> Sequence[Any]:
    from kassa_pos.chain.demo import ChainDemo

    return [ChainDemo()]


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_pos.sim import simulators

    return simulators(settings)


@hookimpl
def on_startup(hub: Any) -> None:
    from kassa_pos.sim_settings import ShopSettings

    if hub.section("pos_demo", ShopSettings).enabled:  # the demo's simulated shop
        from kassa_pos.sim import run_shop

        hub.spawn(lambda: run_shop(hub), name="pos-demo-shop")
    from kassa_pos.chain.service import start as start_chain

    start_chain(hub)  # the chain's store or centre service, when [pos.chain] nats is set


@hookimpl
def register_routes(hub: Any) -> Sequence[Any]:
    from kassa_pos.chain.lag import router
    from kassa_pos.settings import PosSettings
    from kassa_pos.stock.api import router as stock

    centre = hub.section("pos", PosSettings).chain.centre
    return [router(hub)] if centre else [stock(hub)]  # the centre has no store of its own


@hookimpl
def register_console_panels() -> Sequence[Any]:
    from kassa_pos.chain.analysis_console import AnalysisPanel
    from kassa_pos.chain.backoffice import BackOfficePanel
    from kassa_pos.chain.console import StoresPanel
    from kassa_pos.stock.console import StockPanel

    return [StoresPanel(), BackOfficePanel(), AnalysisPanel(), StockPanel()]


@hookimpl
def register_exchange_formats() -> Sequence[Any]:
    from kassa_pos.exchange.service import CommerceML

    return [CommerceML()]


@hookimpl
def register_reports() -> Sequence[Any]:
    from kassa_pos.chain.analysis_reports import definitions

    return definitions()
