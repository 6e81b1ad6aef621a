"""Import a CommerceML package into the store's catalog and report what changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from attrs import frozen

from kassa_pos.engine.catalog import Catalog, CatalogData, CatalogError, Item, ItemFlag, item_of
from kassa_pos.exchange.commerceml import Package, Rejected, read_package, rows_of

_FLAG_NAMES = {ItemFlag.FRAGILE: "fragile", ItemFlag.MARKING: "marking",
               ItemFlag.WEIGHED: "weighed", ItemFlag.AGE_RESTRICTED: "age"}


def row_of(item: Item, price: int | None = None) -> dict[str, Any]:
    """A store item as an import row (what 1C does not send is kept from it)."""
    row: dict[str, Any] = {
        "code": item.code, "name": item.name, "vat": item.vat.value, "unit": str(int(item.unit)),
        "plu": "" if item.plu is None else str(item.plu), "department": str(item.department),
        "group": item.group, "barcodes": list(item.barcodes),
        "flags": [n for f, n in _FLAG_NAMES.items() if f in item.flags]}
    if price is not None:
        row["price_kopecks"] = str(price)
    return row


@frozen(kw_only=True)
class ExchangeReport:
    """Counts and the first ``limit`` article codes of each kind; ``absent``: store items a
    full package lacks (the catalog has no inactive mark yet: reported, not removed)."""

    added: list[str]
    changed: list[str]
    unchanged: list[str]
    absent: list[str]
    rejects: list[Rejected]
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


async def import_package(hub: Any, paths: Sequence[Path], *, dry_run: bool = False,
                         price_type: str | None = None) -> ExchangeReport:
    """Read the files, turn them into catalog rows and import them (the catalog decides
    what changed, so the same package twice leaves the version alone)."""
    pkg = read_package(paths, price_type=price_type)
    catalog = await Catalog.open(hub)
    return await apply_package(hub, catalog, pkg, dry_run=dry_run)


async def apply_package(hub: Any, catalog: Catalog, pkg: Package, *,
                        dry_run: bool = False) -> ExchangeReport:
    known = {it.code: row_of(it) for it in catalog.items()}

    def by_barcode(code: str) -> dict[str, Any] | None:
        try:
            found = catalog.lookup(code)
        except CatalogError:
            return None
        return None if found is None else known.get(found.item.code)

    rows, where, rejects = rows_of(pkg, known, by_barcode)
    merged: list[dict[str, Any]] = []
    for row in rows:
        base = known.get(row["code"], {})
        merged.append({**base, **row})  # what 1C does not send (PLU, flags...) is kept
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
    full = pkg.only_changes is False
    seen = {r["code"] for r in merged}
    absent = sorted(c for c in known if c not in seen) if full else []
    report = await catalog.import_rows(
        hub, CatalogData(items=merged, rows=list(range(1, len(merged) + 1))), dry_run=dry_run)
    rejected = {r.code for r in report.rejects}
    for r in report.rejects:
        if r.row <= len(where):
            file, line, path = where[r.row - 1]
            rejects.append(Rejected(file, line, path, r.reason))
    rejects = pkg.rejects + rejects
    rejects.sort(key=lambda r: (r.file, r.line))
    return ExchangeReport(
        added=[c for c in added if c not in rejected],
        changed=[c for c in changed if c not in rejected],
        unchanged=unchanged, absent=absent, rejects=rejects, version=report.version,
        dry_run=dry_run, full=full)


def files_in(targets: Iterable[Path]) -> list[Path]:
    """DIR_OR_FILES -> the XML files (a directory: every ``*.xml`` in it, sorted)."""
    out: list[Path] = []
    for t in targets:
        out.extend(sorted(t.glob("*.xml")) if t.is_dir() else [t])
    return out
