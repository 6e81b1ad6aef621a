"""Kassa plugin scales: POS and label scales (CAS PD-II and type 1, Massa-K Protocol 100,
Mettler Toledo MT-SICS, Shtrih POS2, Shtrih-Print PLU upload), with emulators. Hook
implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_scales.settings import ScalesSettings

    return {"scales": ScalesSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_scales.texts import TEXTS

    return TEXTS


@hookimpl
def register_event_kinds() -> Sequence[Any]:
    from kassa_scales.kinds import KINDS

    return KINDS


@hookimpl
def register_devices(hub: Any) -> Sequence[Any]:
    from kassa_scales.label import LabelScale
    from kassa_scales.scale import PosScale

    settings = hub.section("scales")
    if settings is None:
        return []
    return [LabelScale(s, hub=hub) if s.protocol == "shtrih_print" else
            PosScale(s, emit=hub.emit) for s in settings.devices]


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_scales.sim import Curve, ScaleSimulator, emulator_for

    sites = getattr(settings, "sites", None) or ["r1"]
    site = str(getattr(sites[0], "code", sites[0]))
    return [ScaleSimulator(emulator_for("mtsics", Curve.steady(1250)), name="scale",
                           site=site)]


@hookimpl
async def claim_device(candidate: Any, probe: Any) -> Any:
    from kassa_scales.discover import claim_device as claim

    return await claim(candidate, probe)


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_scales.cli import scales

    cli.add_command(scales)
