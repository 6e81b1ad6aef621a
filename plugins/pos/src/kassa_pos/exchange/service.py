"""Import through an exchange format into the store's catalog and report what changed;
CommerceML 2 as such a format (registered through ``register_exchange_formats``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.to_thread
from attrs import frozen
from kassa.errors import UserError
from kassa.hookspecs.exchange import CatalogRead, ExchangeFormat

from kassa_pos.engine.catalog import Catalog, CatalogError, Item, ItemFlag
from kassa_pos.engine.catalog_import import CatalogData, item_of
from kassa_pos.exchange.commerceml import read_package, rows_of
from kassa_pos.exchange.documents import write_documents

_FLAG_NAMES = {ItemFlag.FRAGILE: "fragile", ItemFlag.MARKING: "marking",
               ItemFlag.WEIGHED: "weighed", ItemFlag.AGE_RESTRICTED: "age"}


class CommerceML:
    """CommerceML 2 (1C): import.xml + offers.xml in, orders-shaped documents out."""

    name = "commerceml"

    def __init__(self, price_type: str | None = None) -> None:
        self.price_type = price_type

    def read_catalog(self, paths: Sequence[Path],
                     known: Mapping[str, Mapping[str, Any]]) -> CatalogRead:
        pkg = read_package(paths, price_type=self.price_type)
        barcodes = {b: row for row in known.values() for b in row.get("barcodes", ())}
        rows, where, rejects = rows_of(pkg, known, barcodes.get)
        out = [{**row, "source": f"{f}:{line} {path}"}
               for row, (f, line, path) in zip(rows, where, strict=True)]
        return CatalogRead(rows=out, rejects=[str(r) for r in pkg.rejects + rejects],
                           full=pkg.only_changes is False)

    def write_sales(self, docs: Sequence[Any], path: Path) -> None:
        write_documents(docs, path, now=datetime.now(UTC))


def row_of(item: Item) -> dict[str, Any]:
    """A store item as an import row (what a package does not send is kept from it)."""
    return {"code": item.code, "name": item.name, "vat": item.vat.value,
            "unit": str(int(item.unit)), "plu": "" if item.plu is None else str(item.plu),
            "department": str(item.department), "group": item.group,
            "barcodes": list(item.barcodes),
            "flags": [n for f, n in _FLAG_NAMES.items() if f in item.flags]}


@frozen(kw_only=True)
class ExchangeReport:
    """Article codes of each kind; ``absent``: store items a full package lacks (the
    catalog has no inactive mark yet: reported, not removed). ``rejects``: one line each,
    ``file:line path: reason``."""

    added: list[str]
    changed: list[str]
    unchanged: list[str]
    absent: list[str]
    rejects: list[str]
    version: int
    dry_run: bool
    full: bool

    def lines(self, limit: int = 10, locale: str = "ru") -> list[str]:
        ru = locale == "ru"
        out = []
        for label, codes in ((("добавлено", "added"), self.added),
                             (("изменено", "changed"), self.changed),
                             (("без изменений", "unchanged"), self.unchanged),
                             (("нет в полном пакете", "absent from the full package"),
                              self.absent)):
            head = ", ".join(codes[:limit]) + (" …" if len(codes) > limit else "")
            out.append(f"{label[0 if ru else 1]}: {len(codes)}" + (f" ({head})" if codes else ""))
        out.append(f"{'отклонено' if ru else 'rejected'}: {len(self.rejects)}")
        out.extend(f"  {r}" for r in self.rejects)
        return out


def pick(formats: Iterable[ExchangeFormat], name: str) -> ExchangeFormat:
    """The registered format called ``name``; one sentence when none or two are."""
    found = [f for f in formats if f.name == name]
    if len(found) != 1:
        known = ", ".join(sorted({f.name for f in formats})) or "—"
        raise UserError(f"Формат обмена «{name}» " + (
            "зарегистрирован дважды" if found else f"не найден (есть: {known})"))
    return found[0]


async def import_package(hub: Any, paths: Sequence[Path], *, dry_run: bool = False,
                         fmt: ExchangeFormat | None = None) -> ExchangeReport:
    """Read the files with ``fmt`` (CommerceML by default) and import the rows: the catalog
    decides what changed, so the same package twice leaves the version alone."""
    fmt = fmt or CommerceML()
    catalog = await Catalog.open(hub)
    known = {it.code: row_of(it) for it in catalog.items()}
    read = await anyio.to_thread.run_sync(fmt.read_catalog, list(paths), known)
    merged = [{**known.get(str(row.get("code", "")).strip(), {}), **row} for row in read.rows]
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    for row in merged:
        try:
            item, price = item_of(row)
        except CatalogError:
            continue  # the import below names it
        old = catalog.by_code(item.code)
        if old is None:
            added.append(item.code)
        elif old != item or (price is not None and catalog.price(old) != price):
            changed.append(item.code)
        else:
            unchanged.append(item.code)
    seen = {str(r.get("code", "")).strip() for r in merged}
    absent = sorted(c for c in known if c not in seen) if read.full else []
    report = await catalog.import_rows(
        hub, CatalogData(items=merged, rows=list(range(1, len(merged) + 1))), dry_run=dry_run)
    rejected = {r.code for r in report.rejects}
    rejects = list(read.rejects)
    for r in report.rejects:
        src = merged[r.row - 1].get("source") if r.row <= len(merged) else None
        rejects.append(f"{src or r.code}: {r.reason}")
    return ExchangeReport(
        added=[c for c in added if c not in rejected],
        changed=[c for c in changed if c not in rejected],
        unchanged=unchanged, absent=absent, rejects=sorted(rejects, key=_order),
        version=report.version, dry_run=dry_run, full=read.full)


def _order(line: str) -> tuple[str, int]:
    name, _, rest = line.partition(":")
    digits = rest.split(" ", 1)[0]
    return name, int(digits) if digits.isdigit() else 0


def files_in(targets: Iterable[Path]) -> list[Path]:
    """DIR_OR_FILES -> the XML files (a directory: every ``*.xml`` in it, sorted)."""
    out: list[Path] = []
    for t in targets:
        out.extend(sorted(t.glob("*.xml")) if t.is_dir() else [t])
    return out
