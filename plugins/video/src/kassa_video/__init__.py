"""Kassa plugin video: POS text feeds (receipt lines and cashier events) to video
surveillance systems, buffered on disk and replayed in order, with an emulator. Hook
implementations only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> Mapping[str, type]:
    from kassa_video.settings import VideoSettings

    return {"video": VideoSettings}


@hookimpl
def register_texts() -> Mapping[str, Mapping[str, str]]:
    from kassa_video.texts import TEXTS

    return TEXTS


@hookimpl
def register_event_kinds() -> Sequence[Any]:
    from kassa_video.kinds import KINDS

    return KINDS


@hookimpl
def register_devices(hub: Any) -> Sequence[Any]:
    from kassa_video.feed import VideoFeed
    from kassa_video.forward import STATE

    section = hub.section("video")
    if section is None:
        return []
    feeds = [VideoFeed(f, data_dir=hub.settings.data_path, emit=hub.emit, now=hub.clock.now,
                       locale=hub.settings.hub.locale) for f in section.feeds]
    hub.state(STATE)["feeds"] = feeds
    return feeds


@hookimpl
async def on_event(event: Any, hub: Any) -> None:
    from kassa_video.forward import forward

    await forward(event, hub)


@hookimpl
def register_simulators(settings: Any) -> Sequence[Any]:
    from kassa_video.sim import VideoSimulator

    sites = getattr(settings, "sites", None) or ["r1"]
    codes = [str(getattr(s, "code", s)) for s in sites]
    return [VideoSimulator([(f"video-{code}", code, "dssl") for code in codes])]


@hookimpl
def register_cli_commands(cli: Any) -> None:
    from kassa_video.cli import video

    cli.add_command(video)
