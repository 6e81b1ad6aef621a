"""The till's catalog: items, their barcodes and prices, looked up without the database.

``Item`` and ``Lookup`` are the boundary types the rest of the engine codes against; the
``Catalog`` service (an in-memory index over the store's ``pos_*`` tables) follows them.
Money is int kopecks, quantities ``Decimal`` as in ``kassa.model.fiscal``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from enum import IntFlag
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, cast

import anyio
import anyio.to_thread
from attrs import field, frozen
from kassa.errors import UserError
from kassa.model.ffd import Measure, VatRate
from sqlalchemy import Connection, select

from kassa_pos.engine import store_tables as t
from kassa_pos.engine.barcodes import (
    DEFAULT_LAYOUTS,
    Layout,
    Symbology,
    layouts,
    parse,
)
from kassa_pos.engine.prices import PriceBook, PriceList

if TYPE_CHECKING:
    from kassa_pos.engine.catalog_import import CatalogData, ImportReport


class Clock(Protocol):
    def now(self) -> datetime: ...


class ItemFlag(IntFlag):
    """What the till must do about an item; stored as an int in ``pos_item.flags``."""

    NONE = 0
    FRAGILE = 1  # the cashier is reminded to pack it apart
    MARKING = 2  # a marking code (Chestny ZNAK, tag 2000) must be scanned for each unit
    WEIGHED = 4  # sold by weight: quantity from the scales or a weighed-goods barcode
    AGE_RESTRICTED = 8  # the cashier confirms the buyer's age (alcohol, tobacco)


def _barcodes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen(kw_only=True)
class Item:
    """One catalog item. ``code`` is the shop's article (unique); ``plu`` the scales' number
    for weighed goods (unique when set); ``barcodes`` every code that sells it."""

    code: str
    name: str
    vat: VatRate
    unit: Measure = Measure.PIECE
    plu: int | None = None
    department: int = 1  # the register's section (1..16 on ATOL / Shtrih-M)
    group: str = ""
    flags: ItemFlag = ItemFlag.NONE
    barcodes: tuple[str, ...] = field(default=(), converter=_barcodes)

    @property
    def fragile(self) -> bool:
        return ItemFlag.FRAGILE in self.flags

    @property
    def marking_required(self) -> bool:
        return ItemFlag.MARKING in self.flags

    @property
    def weighed(self) -> bool:
        return ItemFlag.WEIGHED in self.flags

    @property
    def age_restricted(self) -> bool:
        return ItemFlag.AGE_RESTRICTED in self.flags


@frozen(kw_only=True)
class Lookup:
    """What a scan found. ``price``: kopecks per unit valid now (``None`` when no price list
    prices the item: the till asks for one). ``quantity``: from a weighed-goods code (kg,
    three places), else ``None``. ``amount``: the line's kopecks from a priced-goods code,
    else ``None``. ``barcode``: as scanned (normalised to 13 digits for UPC-A)."""

    item: Item
    price: int | None
    quantity: Decimal | None = None
    amount: int | None = None
    barcode: str = ""


# --- the catalog service ---------------------------------------------------------------

_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "not_found": "Товар со штрихкодом {code} не найден",
        "no_plu": "Весовой товар с PLU {plu} (штрихкод {code}) не найден",
        "code": "нет артикула (code)",
        "name": "нет наименования (name)",
        "vat": "неизвестная ставка НДС «{value}» (допустимы: {allowed})",
        "unit": "неизвестная единица измерения «{value}» (шт, кг, г, л, м или код 2108)",
        "int": "{field}: «{value}» — не целое число",
        "department": "секция {value} вне 1–99",
        "plu": "PLU {value} вне 1–999999",
        "flag": "неизвестный признак «{value}» (fragile, marking, weighed, age)",
        "weighed_unit": "весовой товар продаётся в кг или г, а не в «{value}»",
        "price": "цена «{value}» — не сумма в рублях (например 89.90)",
        "barcode": "штрихкод {value}: {why}",
        "barcode_twice": "штрихкод {value} уже у товара {other}",
        "plu_twice": "PLU {value} уже у товара {other}",
        "code_twice": "артикул {value} уже был в строке {other}",
        "list": "прайс-лист {value}: {why}",
        "unknown_item": "прайс-лист {value}: нет товара {item}",
        "when": "«{value}» — не дата и время ISO 8601 (2026-03-01T00:00+03:00)",
        "format": "Файл {name}: ожидается .csv или .json",
        "json": "Файл {name} — не JSON: {why}",
        "json_shape": "Файл {name}: ожидается список товаров или объект с items и price_lists",
        "csv": "Файл {name} — не CSV в UTF-8: {why}",
    },
    "en": {
        "not_found": "No item has barcode {code}",
        "no_plu": "No weighed item has PLU {plu} (barcode {code})",
        "code": "no article (code)",
        "name": "no name",
        "vat": "unknown VAT rate '{value}' (known: {allowed})",
        "unit": "unknown unit '{value}' (pcs, kg, g, l, m or a 2108 code)",
        "int": "{field}: '{value}' is not a whole number",
        "department": "department {value} outside 1-99",
        "plu": "PLU {value} outside 1-999999",
        "flag": "unknown flag '{value}' (fragile, marking, weighed, age)",
        "weighed_unit": "a weighed item is sold in kg or g, not in '{value}'",
        "price": "price '{value}' is not an amount in rubles (such as 89.90)",
        "barcode": "barcode {value}: {why}",
        "barcode_twice": "barcode {value} already belongs to item {other}",
        "plu_twice": "PLU {value} already belongs to item {other}",
        "code_twice": "article {value} was already on row {other}",
        "list": "price list {value}: {why}",
        "unknown_item": "price list {value}: no item {item}",
        "when": "'{value}' is not an ISO 8601 date and time (2026-03-01T00:00+03:00)",
        "format": "File {name}: expected .csv or .json",
        "json": "File {name} is not JSON: {why}",
        "json_shape": "File {name}: expected a list of items or an object with items and"
                      " price_lists",
        "csv": "File {name} is not UTF-8 CSV: {why}",
    },
}


def text(key: str, locale: str = "ru", **params: object) -> str:
    """A message; a parameter that is itself an error (``text`` method) or a (ru, en) pair
    is said in the same language."""
    def say(v: object) -> object:
        if isinstance(v, tuple):
            return v[locale == "en"]
        speak = getattr(v, "text", None)
        return speak(locale) if callable(speak) else v

    return _TEXTS.get(locale, _TEXTS["ru"])[key].format(**{k: say(v) for k, v in params.items()})


class CatalogError(UserError):
    """One clear sentence for the cashier or the person importing: Russian by ``str()``,
    ``text("en")`` in English."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(text(key, "ru", **params))

    def text(self, locale: str = "ru") -> str:
        return text(self.key, locale, **self.params)


_WORD = re.compile(r"[^\W_]+")


def words(name: str) -> list[str]:
    """The search words of a name: case-folded, ё as е, letters and digits only."""
    return _WORD.findall(name.casefold().replace("ё", "е"))


@frozen
class CatalogIndex:
    """One immutable generation of the in-memory catalog; a refresh builds a new one and
    swaps a single reference, so a lookup never sees half of a rebuild."""

    version: int
    by_barcode: dict[str, Item]
    by_plu: dict[int, Item]
    by_code: dict[str, Item]
    words: dict[str, list[str]]  # search word -> item codes
    vocab: list[str]  # the words, sorted: a prefix's words by bisect
    prices: PriceBook


def build_index(version: int, items: Iterable[Item], lists: Iterable[PriceList]
                ) -> CatalogIndex:
    by_barcode: dict[str, Item] = {}
    by_plu: dict[int, Item] = {}
    by_code: dict[str, Item] = {}
    index: dict[str, list[str]] = {}  # a shop's vocabulary is small: a list per word
    for it in items:
        by_code[it.code] = it
        if it.plu is not None:
            by_plu[it.plu] = it
        for b in it.barcodes:
            by_barcode[b] = it
        for w in set(words(it.name)):
            codes = index.get(w)
            if codes is None:
                index[w] = [it.code]
            else:
                codes.append(it.code)
    return CatalogIndex(version, by_barcode, by_plu, by_code, index, sorted(index),
                  PriceBook.of(lists))


class Catalog:
    """The till's catalog. Every look-up reads the in-memory index only; ``refresh()`` (one
    read of ``pos_catalog_version``) rebuilds it when the store changed, and an import through
    this object rebuilds it at once.

    Precedence on a scan: a barcode an item carries wins; otherwise an in-store code (a
    configured restricted-circulation prefix) finds the item by its PLU; otherwise nothing.
    """

    def __init__(self, index: CatalogIndex, *, site: str, instore: Mapping[str, Layout],
                 clock: Clock | None = None, engine: Any = None) -> None:
        self._index = index
        self.site = site
        self.instore = dict(instore)
        self._clock = clock
        self._engine = engine

    # building -----------------------------------------------------------------------
    @classmethod
    def of(cls, items: Iterable[Item], price_lists: Iterable[PriceList] = (), *,
           site: str = "", instore: Mapping[str, Layout] | None = None,
           clock: Clock | None = None, version: int = 0) -> Catalog:
        """A catalog from values (tests, the demo, the benchmark): no store behind it."""
        return cls(build_index(version, items, price_lists), site=site,
                   instore=layouts(DEFAULT_LAYOUTS) if instore is None else instore,
                   clock=clock)

    @classmethod
    async def open(cls, hub: Any, *, site: str | None = None,
                   instore: Mapping[str, Layout] | None = None) -> Catalog:
        """The catalog in the hub's store. ``site``/``instore`` default to ``[pos] store``
        (empty: the hub's only site; with several, only lists for every store apply) and
        ``[[pos.barcode_prefixes]]`` (20-29 as ``PP CCCCC WWWWW K`` when none)."""
        settings = hub.section("pos")
        if site is None:
            site = str(getattr(settings, "store", "") or "")
            sites = getattr(getattr(hub, "settings", None), "sites", None) or []
            if not site and len(sites) == 1:  # [pos] store empty: the hub's only site
                site = str(sites[0].code)
        if instore is None:
            prefixes = getattr(settings, "barcode_prefixes", None) or []
            instore = layouts([(p.prefix, p.layout) for p in prefixes] if prefixes
                              else DEFAULT_LAYOUTS)
        async with hub.engine.connect() as conn:
            index = await _load_async(conn)
        return cls(index, site=site, instore=instore, clock=hub.clock, engine=hub.engine)

    async def refresh(self) -> bool:
        """Rebuild from the store if another writer changed it; True when it did."""
        if self._engine is None:
            return False
        async with self._engine.connect() as conn:
            version = (await conn.execute(select(t.catalog_version.c.version))).scalar_one()
            if version == self._index.version:
                return False
            fresh = await _load_async(conn)
        if fresh.version >= self._index.version:  # a slower, older rebuild must not win
            self._index = fresh
        return True

    @property
    def version(self) -> int:
        return self._index.version

    def __len__(self) -> int:
        return len(self._index.by_code)

    def items(self) -> Iterable[Item]:
        return self._index.by_code.values()

    # the hot path -------------------------------------------------------------------
    def lookup(self, scan: str, at: datetime | None = None) -> Lookup | None:
        """What ``scan`` sells, priced at ``at`` (default: now on the hub's clock); ``None``
        when no item has it. A malformed scan (wrong check digit, a length no symbology has)
        raises ``BarcodeError``."""
        ix = self._index
        item = ix.by_barcode.get(scan)
        if item is not None:  # only valid codes are ever indexed: no need to parse
            return Lookup(item=item, price=self._price(ix, item, at), barcode=scan)
        code = parse(scan, self.instore)
        if code.symbology is Symbology.INSTORE:
            item = ix.by_barcode.get(code.code)
            if item is None:
                item = ix.by_plu.get(code.plu) if code.plu is not None else None
                if item is None:
                    return None
                return Lookup(item=item, price=self._price(ix, item, at),
                              quantity=code.quantity, amount=code.price, barcode=code.code)
        else:
            item = ix.by_barcode.get(code.code)
        if item is None:
            return None
        return Lookup(item=item, price=self._price(ix, item, at), barcode=code.code)

    def find(self, scan: str, at: datetime | None = None) -> Lookup:
        """``lookup`` that raises a ``CatalogError`` for the cashier when nothing matches."""
        found = self.lookup(scan, at)
        if found is None:
            code = parse(scan, self.instore)
            if code.symbology is Symbology.INSTORE:
                raise CatalogError("no_plu", plu=code.plu, code=code.code)
            raise CatalogError("not_found", code=code.code)
        return found

    def by_plu(self, plu: int) -> Item | None:
        return self._index.by_plu.get(plu)

    def by_code(self, code: str) -> Item | None:
        return self._index.by_code.get(code)

    def price(self, item: Item | str, at: datetime | None = None) -> int | None:
        """Kopecks per unit for the item at this store now (or at ``at``)."""
        ix = self._index
        code = item if isinstance(item, str) else item.code
        return ix.prices.price(code, self.site, at or self._now())

    def price_list(self, item: Item | str, at: datetime | None = None) -> PriceList | None:
        """The list whose price applies (see ``engine/prices.py`` for the precedence)."""
        code = item if isinstance(item, str) else item.code
        return self._index.prices.winner(code, self.site, at or self._now())

    def search(self, query: str, limit: int = 20) -> list[Item]:
        """Items whose name has, for every word of ``query``, a word starting with it
        (case-insensitive, ё = е): "мол 3,2" finds "Молоко 3,2% 1 л". An article or barcode
        typed whole finds its item first. Names starting with the first word rank first."""
        ix = self._index
        q = words(query)
        exact = ix.by_code.get(query.strip()) or ix.by_barcode.get(query.strip())
        if not q:
            return [exact] if exact else []
        codes: set[str] | None = None
        for w in sorted(q, key=len, reverse=True):  # the longest word narrows most
            found: set[str] = set()
            i = bisect_left(ix.vocab, w)
            while i < len(ix.vocab) and ix.vocab[i].startswith(w):
                found.update(ix.words[ix.vocab[i]])
                i += 1
            codes = found if codes is None else codes & found
            if not codes:
                break
        hits = [ix.by_code[c] for c in codes or ()]
        first = q[0]
        hits.sort(key=lambda it: (not words(it.name)[0].startswith(first), it.name.casefold()))
        if exact is not None:
            hits = [exact] + [h for h in hits if h is not exact]
        return hits[:limit]

    def _price(self, ix: CatalogIndex, item: Item, at: datetime | None) -> int | None:
        return ix.prices.price(item.code, self.site, at or self._now())

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    # changes ------------------------------------------------------------------------
    async def import_rows(self, hub: Any, data: CatalogData, *,
                          dry_run: bool = False) -> ImportReport:
        """Validate ``data`` against itself and the store, write what changed (nothing with
        ``dry_run``) and, when anything did, bump the version and rebuild this index."""
        from kassa_pos.engine.catalog_import import import_data

        report = await import_data(hub, data, dry_run=dry_run)
        if report.changed and not dry_run:
            await self.refresh()
        return report


WATCH_SECONDS = 5.0  # how soon a till sees a change another process made (one tiny read)


async def catalog_for(hub: Any) -> Catalog:
    """The hub's catalog (one per hub, in ``hub.state("pos")``), opened on first use. On a
    running hub a background job then calls ``refresh()`` every ``WATCH_SECONDS``, so an
    import by ``kassa pos catalog import`` (another process) reaches the tills by itself."""
    state = hub.state("pos")
    cat = state.get("catalog")
    if cat is None:
        cat = state["catalog"] = await Catalog.open(hub)
        spawn = getattr(hub, "spawn", None)
        if spawn is not None:
            spawn(partial(watch, cat, WATCH_SECONDS), name="pos-catalog-refresh")
    return cast(Catalog, cat)


async def watch(catalog: Catalog, every: float = WATCH_SECONDS) -> None:
    """Refresh ``catalog`` forever (the hub restarts the job after an error, with backoff)."""
    while True:
        await anyio.sleep(every)
        await catalog.refresh()


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands DateTime(timezone=True) back naive: it was written in UTC
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


@frozen
class _Rows:
    version: int
    barcodes: list[Any]
    items: list[Any]
    prices: list[Any]
    lists: list[Any]


def _fetch(conn: Connection) -> _Rows:
    # .all() everywhere: iterating a result row by row on the async driver is one thread hop
    # per row (142k fetchone calls for 50k items)
    return _Rows(
        conn.execute(select(t.catalog_version.c.version)).scalar_one(),
        list(conn.execute(select(t.barcode.c.barcode, t.barcode.c.item_code)
                          .order_by(t.barcode.c.barcode)).all()),
        list(conn.execute(select(
            t.item.c.code, t.item.c.plu, t.item.c.name, t.item.c.unit, t.item.c.vat,
            t.item.c.department, t.item.c.item_group, t.item.c.flags)).all()),
        list(conn.execute(select(t.price.c.list_code, t.price.c.item_code,
                                 t.price.c.price)).all()),
        list(conn.execute(select(t.price_list)).all()))


def _index_of(rows: _Rows) -> CatalogIndex:
    codes: dict[str, list[str]] = {}
    for code, item_code in rows.barcodes:
        codes.setdefault(item_code, []).append(code)
    vats = {v.value: v for v in VatRate}  # enums through dicts, not their __call__
    units = {int(m): m for m in Measure}
    flags: dict[int, ItemFlag] = {}
    items = []
    for code, plu, name, unit, vat, department, group, bits in rows.items:
        flag = flags.get(bits)
        if flag is None:
            flag = flags[bits] = ItemFlag(bits)
        items.append(Item(code=code, name=name, vat=vats[vat], unit=units[unit], plu=plu,
                          department=department, group=group, flags=flag,
                          barcodes=codes.get(code, ())))
    prices: dict[str, dict[str, int]] = {}
    for lc, ic, p in rows.prices:
        prices.setdefault(lc, {})[ic] = p
    lists = [PriceList(code=r.code, name=r.name, site=r.site, priority=r.priority,
                       valid_from=_utc(r.valid_from), valid_to=_utc(r.valid_to),
                       prices=prices.get(r.code, {}))
             for r in rows.lists]
    return build_index(rows.version, items, lists)


def load_index(conn: Connection) -> CatalogIndex:
    return _index_of(_fetch(conn))


async def _load_async(conn: Any) -> CatalogIndex:
    """Read on the connection, build the index in a worker thread: for a big catalog the
    build is seconds of Python that must not stall the hub's event loop."""
    rows = await conn.run_sync(_fetch)
    return await anyio.to_thread.run_sync(_index_of, rows)
