"""kassa-hello: guests counted at the door become events; /hello says how many today."""

from __future__ import annotations

from typing import Any

from kassa import hookimpl


@hookimpl
def register_settings() -> dict[str, type]:
    from kassa_hello.settings import HelloSettings

    return {"sites.hello": HelloSettings}  # [sites.hello] inside a [[sites]] entry


@hookimpl
def register_event_kinds() -> list[Any]:
    from kassa.model import EventKindSpec

    return [EventKindSpec("hello_guest", severity="info", group="hello",
                          title={"ru": "Гость вошёл", "en": "Guest arrived"})]


@hookimpl
def register_sources(hub: Any) -> list[Any]:
    from kassa_hello.source import HelloSource

    return [HelloSource(site.code, hub.site_section(site.code, "hello"))
            for site in hub.settings.sites if hub.site_section(site.code, "hello")]


@hookimpl
def register_commands() -> list[Any]:
    from kassa_hello.command import HelloCommand

    return [HelloCommand()]
