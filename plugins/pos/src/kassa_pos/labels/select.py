"""Which items get new tags, and the record of what was printed.

The catalog keeps no history of a price list's edits (an import replaces a list whole), so two
ways to find changed prices:

- ``changed_since(catalog, since)``: the price now differs from the price the lists gave at
  ``since`` (lists that started or ended in between: promotions, scheduled price changes);
- ``changed_since_printed(catalog, ledger)``: the price now differs from the price on the
  item's last printed tag, or the item never had one. This also catches a list edited in
  place, and is what a shop runs after each import.

The ``Ledger`` is a JSON-lines file (one printed batch a line, appended and fsynced after the
PDF is written), not a table: the record belongs to the store's back office, and it is read
whole, newest batch winning per item.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

from kassa_pos.engine.barcodes import gtin_valid
from kassa_pos.engine.catalog import Catalog, Item
from kassa_pos.labels.draw import Kind, LabelError, Reject, Tag


def pick(catalog: Catalog, keys: Iterable[str]) -> tuple[list[Item], list[Reject]]:
    """Items by code, else by barcode (as the till scans it), in the order given, each once."""
    out: list[Item] = []
    seen: set[str] = set()
    rejects: list[Reject] = []
    for raw in keys:
        key = raw.strip()
        if not key:
            continue
        item = catalog.by_code(key)
        if item is None:
            found = catalog.lookup(key)
            item = found.item if found is not None else None
        if item is None:
            rejects.append(Reject(key, LabelError("unknown", code=key)))
        elif item.code not in seen:
            seen.add(item.code)
            out.append(item)
    return out, rejects


def changed_since(catalog: Catalog, since: datetime, at: datetime | None = None) -> list[Item]:
    """Items priced now whose price differs from their price at ``since``, by code."""
    out = []
    for item in catalog.items():
        now = catalog.price(item, at)
        if now is not None and now != catalog.price(item, since):
            out.append(item)
    return sorted(out, key=lambda i: i.code)


def changed_since_printed(catalog: Catalog, ledger: Ledger, kind: Kind = Kind.TAG,
                          at: datetime | None = None) -> list[Item]:
    """Items priced now whose last printed ``kind`` showed another price, or none yet."""
    last = ledger.last(kind)
    out = []
    for item in catalog.items():
        now = catalog.price(item, at)
        if now is not None and last.get(item.code) != now:
            out.append(item)
    return sorted(out, key=lambda i: i.code)


def best_barcode(item: Item) -> str:
    """The code a label carries: a valid GTIN-13, else a GTIN-8, else the first one."""
    for n in (13, 8):
        for b in item.barcodes:
            if len(b) == n and gtin_valid(b):
                return b
    return item.barcodes[0] if item.barcodes else ""


def tags_for(catalog: Catalog, items: Sequence[Item], *, store: str = "",
             at: datetime | None = None, day: date | None = None
             ) -> tuple[list[Tag], list[Reject]]:
    """What each item's tag shows at ``at``; an item without a valid price is a reject."""
    tags: list[Tag] = []
    rejects: list[Reject] = []
    today = day or (at.date() if at is not None else date.today())
    for item in items:
        price = catalog.price(item, at)
        if price is None:
            rejects.append(Reject(item.code, LabelError("no_price", code=item.code,
                                                        name=item.name)))
            continue
        tags.append(Tag(code=item.code, name=item.name, price=price, unit=item.unit,
                        barcode=best_barcode(item), store=store, day=today))
    return tags, rejects


@frozen
class Ledger:
    path: Path

    def batches(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        out = []
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a line cut by a crash mid-append: that batch did not finish
        return out

    def last(self, kind: Kind = Kind.TAG) -> dict[str, int]:
        """Item code -> the price on its last printed ``kind``."""
        prices: dict[str, int] = {}
        for batch in self.batches():
            if batch.get("kind") == kind.value:
                prices.update({str(k): int(v) for k, v in batch.get("items", {}).items()})
        return prices

    def record(self, kind: Kind, tags: Iterable[Tag], *, at: datetime, layout: str,
               file: str = "") -> None:
        line = json.dumps({"at": at.isoformat(), "kind": kind.value, "layout": layout,
                           "file": file, "items": {t.code: t.price for t in tags}},
                          ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
