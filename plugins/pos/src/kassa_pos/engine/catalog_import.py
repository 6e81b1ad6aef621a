"""Importing a catalog: rows from dicts, CSV or JSON checked into items and price lists,
planned against what the store holds (rejects with reasons, nothing changed twice) and
applied in one transaction that moves the catalog's version only when something changed.

A *full* import (``full=True``: the chain's reference packages) is the whole catalog: an
item it omits is removed from the store's catalog (its row kept in ``pos_item_inactive``, so
it can be named later and comes back with a later package), a price list it omits is
dropped, and the base list is exactly the package's prices. Sales already made keep their
own lines and prices."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from attrs import define, field, frozen
from kassa.model.ffd import Measure, VatRate
from kassa.model.money import kopecks
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from kassa_pos.engine import store_tables as t
from kassa_pos.engine.barcodes import BarcodeError, parse
from kassa_pos.engine.catalog import (
    CatalogError,
    CatalogIndex,
    Item,
    ItemFlag,
    build_index,
    load_index,
)
from kassa_pos.engine.prices import PriceList

# --- import ----------------------------------------------------------------------------

BASE_LIST = "base"  # the list an item row's own ``price`` goes to: every store, priority 0

_UNITS = {
    "шт": Measure.PIECE, "pcs": Measure.PIECE, "piece": Measure.PIECE, "штука": Measure.PIECE,
    "кг": Measure.KILOGRAM, "kg": Measure.KILOGRAM, "kilogram": Measure.KILOGRAM,
    "г": Measure.GRAM, "g": Measure.GRAM, "gram": Measure.GRAM,
    "л": Measure.LITER, "l": Measure.LITER, "liter": Measure.LITER,
    "мл": Measure.MILLILITER, "ml": Measure.MILLILITER, "milliliter": Measure.MILLILITER,
    "м": Measure.METER, "m": Measure.METER, "meter": Measure.METER,
}
_FLAGS = {"fragile": ItemFlag.FRAGILE, "marking": ItemFlag.MARKING,
          "marking_required": ItemFlag.MARKING, "weighed": ItemFlag.WEIGHED,
          "age": ItemFlag.AGE_RESTRICTED, "age_restricted": ItemFlag.AGE_RESTRICTED}
_TRUE = {"1", "true", "yes", "да", "y", "+"}


def _vat_names() -> dict[str, VatRate]:
    out: dict[str, VatRate] = {}
    for v in VatRate:
        out[v.value] = v
        out[v.label.casefold()] = v
        if v is not VatRate.NONE and "/" not in v.label:
            out[str(v.percent)] = v
    out["без ндс"] = VatRate.NONE
    return out


_VATS = _vat_names()


@frozen
class Reject:
    """A row that was not imported: ``row`` its line in the file (CSV: the line number,
    JSON: its position from 1), ``code`` its article as given, ``error`` why."""

    row: int
    code: str
    error: CatalogError

    @property
    def reason(self) -> str:
        return str(self.error)


@frozen(kw_only=True)
class CatalogData:
    """What an import brings: item rows and price lists as dicts (see docs/plugins/pos.md,
    "Catalog and barcodes", for the fields), with the row numbers to name in rejects."""

    items: Sequence[Mapping[str, Any]] = field(factory=list)
    price_lists: Sequence[Mapping[str, Any]] = field(factory=list)
    rows: Sequence[int] | None = None  # items[i] came from line rows[i]; None: i + 1


@frozen(kw_only=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    lists_changed: int
    rejects: list[Reject]
    version: int  # the catalog's version after the import
    dry_run: bool
    removed: int = 0  # items a full import took out of the catalog
    lists_removed: int = 0  # price lists a full import dropped

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.lists_changed or self.removed
                    or self.lists_removed)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _int(row: Mapping[str, Any], key: str, default: int | None) -> int | None:
    value = _text(row, key)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise CatalogError("int", field=key, value=value) from None


def _kopecks(value: Any) -> int:
    s = str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", s):
        raise CatalogError("price", value=value)
    return kopecks(s)


def _when(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise CatalogError("when", value=value) from None
    if parsed.tzinfo is None:
        raise CatalogError("when", value=value)  # a bare time means nothing across zones
    return parsed.astimezone(UTC)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v for v in re.split(r"[;,\s]+", str(value)) if v]


def item_of(row: Mapping[str, Any]) -> tuple[Item, int | None]:
    """One import row -> the item and its base price (kopecks) if the row has one; a
    ``CatalogError`` names the first thing wrong."""
    code = _text(row, "code")
    if not code:
        raise CatalogError("code")
    name = _text(row, "name")
    if not name:
        raise CatalogError("name")
    vat_text = _text(row, "vat").casefold().replace(" ", "")
    vat = _VATS.get(vat_text) or _VATS.get(vat_text.rstrip("%"))
    if vat is None:
        raise CatalogError("vat", value=_text(row, "vat"),
                           allowed=", ".join(v.label for v in VatRate))
    unit_text = _text(row, "unit").casefold() or "шт"
    unit = _UNITS.get(unit_text)
    if unit is None:
        try:
            unit = Measure(int(unit_text))
        except ValueError:
            raise CatalogError("unit", value=_text(row, "unit")) from None
    flags = ItemFlag.NONE
    for f in _split(row.get("flags")):
        flag = _FLAGS.get(f.casefold())
        if flag is None:
            raise CatalogError("flag", value=f)
        flags |= flag
    for key, flag in _FLAGS.items():  # a column per flag, as spreadsheets have them
        if key in row and _text(row, key).casefold() in _TRUE:
            flags |= flag
    if ItemFlag.WEIGHED in flags and unit not in (Measure.KILOGRAM, Measure.GRAM):
        raise CatalogError("weighed_unit", value=_text(row, "unit") or "шт")
    plu = _int(row, "plu", None)
    if plu is not None and not 1 <= plu <= 999_999:
        raise CatalogError("plu", value=plu)
    department = _int(row, "department", 1)
    assert department is not None
    if not 1 <= department <= 99:
        raise CatalogError("department", value=department)
    codes: set[str] = set()
    for b in _split(row.get("barcodes")) + _split(row.get("barcode")):
        try:
            codes.add(parse(b).code)
        except BarcodeError as exc:
            raise CatalogError("barcode", value=b, why=exc) from None
    price: int | None = None
    if _text(row, "price_kopecks"):
        price = _int(row, "price_kopecks", None)
        if price is None or price < 0:
            raise CatalogError("price", value=row.get("price_kopecks"))
    elif _text(row, "price"):
        price = _kopecks(row["price"])
    item = Item(code=code, name=name, vat=vat, unit=unit, plu=plu, department=department,
                group=_text(row, "group"), flags=flags, barcodes=sorted(codes))
    return item, price


def _list_of(row: Mapping[str, Any]) -> PriceList:
    code = _text(row, "code")
    if not code:
        raise CatalogError("list", value="?", why=CatalogError("code"))
    try:
        prices = {str(k).strip(): _kopecks(v) for k, v in dict(row.get("prices") or {}).items()}
        valid_from, valid_to = _when(row.get("valid_from")), _when(row.get("valid_to"))
        priority = _int(row, "priority", 0)
    except CatalogError as exc:
        raise CatalogError("list", value=code, why=exc) from None
    except (TypeError, ValueError):
        raise CatalogError("list", value=code, why=("prices: {артикул: цена}",
                                                              "prices: {article: price}")) from None
    if valid_from and valid_to and valid_to <= valid_from:
        raise CatalogError("list", value=code, why=("valid_to не позже valid_from",
                                                 "valid_to is not after valid_from"))
    return PriceList(code=code, name=_text(row, "name") or code, site=_text(row, "site") or None,
                     priority=priority or 0, valid_from=valid_from, valid_to=valid_to,
                     prices=prices)


@define
class _Plan:
    report: ImportReport
    upsert: list[Item]
    new_codes: set[str]
    lists: list[PriceList]  # each replaced whole
    removed: list[Item] = field(factory=list)  # full: the store's items the data omits
    lists_removed: list[str] = field(factory=list)  # full: the price lists it omits


def _plan(conn: Connection, data: CatalogData, dry_run: bool, full: bool = False) -> _Plan:
    return _plan_on(load_index(conn), data, dry_run, full)


def check(data: CatalogData) -> list[Reject]:
    """The rejects ``data`` has on its own, as a full import into an empty store would
    find them (the centre checks a reference package before publishing it)."""
    return _plan_on(build_index(0, [], []), data, True, True).report.rejects


def _plan_on(now: CatalogIndex, data: CatalogData, dry_run: bool, full: bool) -> _Plan:
    rejects: list[Reject] = []
    accepted: dict[str, tuple[int, Item]] = {}
    claims: dict[str, str] = {}  # barcode -> item code, in this file
    plus: dict[int, str] = {}
    base_prices: dict[str, int] = {}
    rows = data.rows or list(range(1, len(data.items) + 1))
    for n, row in zip(rows, data.items, strict=True):
        try:
            item, price = item_of(row)
            if item.code in accepted:
                raise CatalogError("code_twice", value=item.code, other=accepted[item.code][0])
            for b in item.barcodes:
                if b in claims:
                    raise CatalogError("barcode_twice", value=b, other=claims[b])
            if item.plu is not None and item.plu in plus:
                raise CatalogError("plu_twice", value=item.plu, other=plus[item.plu])
        except CatalogError as exc:
            rejects.append(Reject(n, _text(row, "code"), exc))
            continue
        accepted[item.code] = (n, item)
        claims.update((b, item.code) for b in item.barcodes)
        if item.plu is not None:
            plus[item.plu] = item.code
        if price is not None:
            base_prices[item.code] = price
    # against the store: a barcode or PLU another item keeps is free only if that item's row
    # is accepted too (its new set replaces the old); a reject can free nothing, so repeat
    # until no row is newly rejected. A full import removes every item it omits, so only a
    # rejected row's item keeps its codes.
    rejected = {r.code for r in rejects}

    def keeps(code: str) -> bool:
        return code not in accepted and (not full or code in rejected)

    while True:
        late: list[tuple[str, CatalogError]] = []
        for code, (_, item) in accepted.items():
            for b in item.barcodes:
                owner = now.by_barcode.get(b)
                if owner is not None and owner.code != code and keeps(owner.code):
                    late.append((code, CatalogError("barcode_twice", value=b, other=owner.code)))
                    break
            else:
                owner = now.by_plu.get(item.plu) if item.plu is not None else None
                if owner is not None and owner.code != code and keeps(owner.code):
                    late.append((code, CatalogError("plu_twice", value=item.plu,
                                                    other=owner.code)))
        if not late:
            break
        for code, error in late:
            rejects.append(Reject(accepted.pop(code)[0], code, error))
            rejected.add(code)
            base_prices.pop(code, None)
    rejects.sort(key=lambda r: r.row)

    removed = ([it for code, it in now.by_code.items() if code not in accepted
                and code not in rejected] if full else [])
    known = (set(now.by_code) - {it.code for it in removed}) | set(accepted)
    old_lists = {p.code: p for p in now.prices.lists}
    lists: list[PriceList] = []
    for i, row in enumerate(data.price_lists, start=1):
        try:
            pl = _list_of(row)
            missing = sorted(set(pl.prices) - known)
            if missing:
                raise CatalogError("unknown_item", value=pl.code, item=missing[0])
        except CatalogError as exc:
            rejects.append(Reject(i, _text(row, "code"), exc))
            continue
        lists.append(pl)
    if base_prices and all(pl.code != BASE_LIST for pl in lists):
        old = old_lists.get(BASE_LIST)
        merged = dict(old.prices) if old and not full else {}
        merged.update(base_prices)
        lists.append(PriceList(code=BASE_LIST, name="Базовый", prices=merged) if old is None
                     else PriceList(code=old.code, name=old.name, site=old.site,
                                    priority=old.priority, valid_from=old.valid_from,
                                    valid_to=old.valid_to, prices=merged))
    changed_lists = [pl for pl in lists if not _same_list(old_lists.get(pl.code), pl)]
    # full: a list the data omits goes; one it brings but rejected stays as it was
    named = {pl.code for pl in lists} | {_text(r, "code") for r in data.price_lists}
    lists_removed = sorted(set(old_lists) - named) if full else []

    upsert = [it for _, it in accepted.values() if now.by_code.get(it.code) != it]
    added = sum(1 for it in upsert if it.code not in now.by_code)
    report = ImportReport(
        added=added, updated=len(upsert) - added,
        unchanged=len(accepted) - len(upsert), lists_changed=len(changed_lists),
        rejects=rejects, version=now.version, dry_run=dry_run, removed=len(removed),
        lists_removed=len(lists_removed))
    return _Plan(report, upsert, {it.code for it in upsert} - set(now.by_code), changed_lists,
                 removed, lists_removed)


def _same_list(a: PriceList | None, b: PriceList) -> bool:
    return a is not None and a == b and a.prices == b.prices


def _apply(conn: Connection, plan: _Plan) -> ImportReport:
    if not plan.report.changed:
        return plan.report
    _remove(conn, plan)
    items = [{"code": it.code, "plu": it.plu, "name": it.name, "unit": int(it.unit),
              "vat": it.vat.value, "department": it.department, "item_group": it.group,
              "flags": int(it.flags)} for it in plan.upsert]
    changed = [it.code for it in plan.upsert]
    for chunk in _chunks(changed):  # barcodes and PLUs may move between the changed items
        conn.execute(delete(t.barcode).where(t.barcode.c.item_code.in_(chunk)))
        conn.execute(update(t.item).where(t.item.c.code.in_(chunk)).values(plu=None))
    new = [r for r in items if r["code"] in plan.new_codes]
    if new:
        conn.execute(insert(t.item), new)
        for chunk in _chunks(sorted(plan.new_codes)):  # back in the catalog
            conn.execute(delete(t.item_inactive).where(t.item_inactive.c.code.in_(chunk)))
    old = [dict(r, key=r["code"]) for r in items if r["code"] not in plan.new_codes]
    if old:
        conn.execute(update(t.item).where(t.item.c.code == bindparam("key")).values(
            {c: bindparam(c) for c in items[0] if c != "code"}), old)
    codes = [{"barcode": b, "item_code": it.code} for it in plan.upsert for b in it.barcodes]
    if codes:
        conn.execute(insert(t.barcode), codes)
    for pl in plan.lists:
        conn.execute(delete(t.price).where(t.price.c.list_code == pl.code))
        conn.execute(delete(t.price_list).where(t.price_list.c.code == pl.code))
        conn.execute(insert(t.price_list).values(
            code=pl.code, name=pl.name, site=pl.site, priority=pl.priority,
            valid_from=_db_time(conn, pl.valid_from), valid_to=_db_time(conn, pl.valid_to)))
        if pl.prices:
            conn.execute(insert(t.price), [{"list_code": pl.code, "item_code": k, "price": v}
                                           for k, v in pl.prices.items()])
    conn.execute(update(t.catalog_version).values(version=t.catalog_version.c.version + 1))
    version = conn.execute(select(t.catalog_version.c.version)).scalar_one()
    r = plan.report
    return ImportReport(added=r.added, updated=r.updated, unchanged=r.unchanged,
                        lists_changed=r.lists_changed, rejects=r.rejects, version=version,
                        dry_run=False, removed=r.removed, lists_removed=r.lists_removed)


def _remove(conn: Connection, plan: _Plan) -> None:
    """A full import's removals: the omitted items (kept in ``pos_item_inactive``) with their
    barcodes and prices, and the omitted price lists. Explicit deletes, not the foreign keys'
    CASCADE: SQLite enforces those only with ``PRAGMA foreign_keys`` on."""
    for code in plan.lists_removed:
        conn.execute(delete(t.price).where(t.price.c.list_code == code))
        conn.execute(delete(t.price_list).where(t.price_list.c.code == code))
    if not plan.removed:
        return
    codes = [it.code for it in plan.removed]
    for chunk in _chunks(codes):
        conn.execute(delete(t.item_inactive).where(t.item_inactive.c.code.in_(chunk)))
        conn.execute(delete(t.price).where(t.price.c.item_code.in_(chunk)))
        conn.execute(delete(t.barcode).where(t.barcode.c.item_code.in_(chunk)))
        conn.execute(delete(t.item).where(t.item.c.code.in_(chunk)))
    at = _db_time(conn, datetime.now(UTC))
    conn.execute(insert(t.item_inactive), [{
        "code": it.code, "name": it.name, "removed_at": at,
        "data": json.dumps({"plu": it.plu, "unit": int(it.unit), "vat": it.vat.value,
                            "department": it.department, "group": it.group,
                            "flags": int(it.flags), "barcodes": list(it.barcodes)},
                           ensure_ascii=False)} for it in plan.removed])


def import_on(conn: Connection, data: CatalogData, *, full: bool = False) -> ImportReport:
    """Plan and apply on ``conn`` (a synchronous connection inside the caller's write
    transaction, so the caller can write more in the same commit)."""
    return _apply(conn, _plan(conn, data, False, full))


def _db_time(conn: Connection, value: datetime | None) -> datetime | None:
    # SQLite's DateTime keeps no zone: written as naive UTC (and read back as UTC)
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.replace(tzinfo=None) if conn.dialect.name == "sqlite" else value


def _chunks(values: list[str], size: int = 500) -> Iterable[list[str]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


async def import_data(hub: Any, data: CatalogData, *, dry_run: bool = False,
                      full: bool = False) -> ImportReport:
    """Import into the hub's store. Rows are checked one by one (a bad row is a ``Reject``
    with its reason, the others go in), then against the store (a barcode or PLU another item
    keeps); what is equal to the store is left alone, so importing a file twice changes
    nothing the second time and does not bump the version. ``dry_run``: the same report,
    nothing written. ``full``: the data is the whole catalog (see the module's doc)."""
    if dry_run:
        async with hub.engine.connect() as conn:
            plan: _Plan = await conn.run_sync(_plan, data, True, full)
            return plan.report
    return cast(ImportReport, await hub.write_sync(lambda c: import_on(c, data, full=full)))


def read_file(path: Path) -> CatalogData:
    """A catalog file: ``.csv`` (a header row; ``,`` ``;`` or tab separated; UTF-8, a BOM
    is fine) with item rows, or ``.json``: a list of item rows or ``{"items": [...],
    "price_lists": [...]}``."""
    suffix = path.suffix.casefold()
    if suffix == ".json":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CatalogError("json", name=path.name, why=str(exc)) from None
        if isinstance(doc, list):
            doc = {"items": doc}
        if not isinstance(doc, dict) or not all(
                isinstance(doc.get(k, []), list)
                and all(isinstance(r, dict) for r in doc.get(k, []))
                for k in ("items", "price_lists")):
            raise CatalogError("json_shape", name=path.name)
        return CatalogData(items=doc.get("items", []), price_lists=doc.get("price_lists", []))
    if suffix != ".csv":
        raise CatalogError("format", name=path.name)
    try:
        body = path.read_text(encoding="utf-8-sig")
        try:
            dialect: Any = csv.Sniffer().sniff(body.split("\n", 1)[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(io.StringIO(body, newline=""), dialect=dialect)
        items: list[Mapping[str, Any]] = []
        rows: list[int] = []
        for r in reader:
            items.append({(k or "").strip().casefold(): v for k, v in r.items()})
            rows.append(reader.line_num)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CatalogError("csv", name=path.name, why=str(exc)) from None
    return CatalogData(items=items, rows=rows)
