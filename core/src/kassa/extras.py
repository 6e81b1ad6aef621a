"""The core's optional extras: which setting needs which library, and one sentence naming the
extra to install when it is missing (``pip install 'kassa[postgres]'``).

A site node on SQLite and the in-process bus needs none of them; ``kassa[all]`` has them all.
Reports without ``xlsx`` go out as CSV files and without ``charts`` as text alone.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from attrs import frozen

from kassa.errors import UserError

log = logging.getLogger("kassa")


@frozen
class Extra:
    what: str  # for a person: "PostgreSQL"
    module: str  # the library's import name


EXTRAS = {
    "postgres": Extra("PostgreSQL", "psycopg"),
    "nats": Extra("NATS", "nats"),
    "xlsx": Extra("XLSX report files", "openpyxl"),
    "charts": Extra("Report charts", "PIL.Image"),
}


def installed(extra: str) -> bool:
    """Whether the library behind ``extra`` imports here."""
    try:
        importlib.import_module(EXTRAS[extra].module)
    except ImportError:
        return False
    return True


def install_hint(extra: str) -> str:
    return f"{EXTRAS[extra].what} needs the extra: pip install 'kassa[{extra}]'"


def require(extra: str, setting: str = "") -> None:
    """Raise a ``UserError`` naming the extra (and the setting that asked) unless installed."""
    if not installed(extra):
        raise UserError(f"{setting}: {install_hint(extra)}" if setting else install_hint(extra))


def needed(settings: Any) -> list[tuple[str, str]]:
    """(extra, setting) pairs the settings ask for."""
    out: list[tuple[str, str]] = []
    if settings.store_url.startswith(("postgresql", "postgres:")):
        out.append(("postgres", "store.url"))
    if settings.bus.backend == "nats":
        out.append(("nats", "bus.backend"))
    if settings.relay.url.reveal():
        out.append(("nats", "relay.url"))
    return out


def check(settings: Any) -> None:
    """At config check and start: the first missing extra the settings need, as a
    ``UserError``."""
    for extra, setting in needed(settings):
        require(extra, setting)


def warn_missing(extra: str, fallback: str) -> None:
    """Log that ``fallback`` happens because ``extra`` is not installed (reports are rare:
    each one says it, so the hint is beside the report in the log)."""
    log.warning("%s: %s", fallback, install_hint(extra))


__all__ = ["EXTRAS", "check", "install_hint", "installed", "needed", "require", "warn_missing"]
