"""Accounting exchange hooks: file formats a shop swaps with its accounting system.

The retail till (``kassa-pos``) imports its catalog from, and exports its sales to, an
accounting system's files. CommerceML 2 (1C) is one such format, registered by the pos plugin
itself through this hook; a plugin adds another (a different accounting system's XML, a
supplier's price list) by returning an ``ExchangeFormat`` here, and ``kassa pos exchange
import --format NAME`` / ``export --format NAME`` pick it by name.
"""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from kassa.hookspecs import hookspec


@dataclass(frozen=True)
class CatalogRead:
    """What a format read from its files. ``rows``: catalog import rows (the fields of
    docs/plugins/pos.md "Catalog and barcodes": code, name, vat, unit, barcodes, group,
    price...; an optional ``source`` string, e.g. ``"import.xml:12 Товар[Ид=…]"``, names the
    row when the catalog rejects it). ``rejects``: elements refused while reading, one line
    each with file, line and reason. ``full``: the files are the whole catalog (store items
    missing from it are reported as absent), not only changes."""

    rows: Sequence[Mapping[str, Any]] = field(default_factory=list)
    rejects: Sequence[str] = field(default_factory=list)
    full: bool = False


@runtime_checkable
class ExchangeFormat(Protocol):
    """One accounting file format."""

    name: str  # what ``--format`` names, lower case (``commerceml``)

    def read_catalog(self, paths: Sequence[Path],
                     known: Mapping[str, Mapping[str, Any]]) -> CatalogRead:
        """Read the files (blocking file I/O; the caller runs it off the event loop).
        ``known``: the store's items as import rows by article code, so a package that only
        changes prices can complete rows it does not carry. Raise ``kassa.errors.UserError``
        with one sentence (file and line) for a file that cannot be read at all."""
        ...

    def write_sales(self, docs: Sequence[Any], path: Path) -> None:
        """Write sales and returns to ``path``. Each doc has ``id``, ``number``, ``at``
        (aware datetime), ``operation`` (``"sale"`` or ``"return"``), ``total`` (kopecks) and
        ``lines`` (each ``code``, ``name``, ``quantity`` Decimal, ``price`` and ``total``
        kopecks)."""
        ...


@hookspec
def register_exchange_formats() -> Sequence[ExchangeFormat]:
    """Called when an exchange command runs. Return the formats this plugin reads and
    writes; two plugins returning the same ``name`` is refused by the caller with one
    sentence. Sync only: the CLI calls it where nothing can await."""
