"""One printed batch of tags or labels: choose the items (codes, or prices changed since a date
or since the last printed batch), draw them, write the PDF whole and record the batch in the
ledger. ``kassa pos labels`` and the store hub's API (``stock/api.py``) both run ``print_batch``;
``on_hub`` is the API's request on a running hub."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen

from kassa_pos.engine.catalog import Catalog
from kassa_pos.labels.draw import Kind, LabelError, Reject, Tag, render
from kassa_pos.labels.layout import Layout
from kassa_pos.labels.select import (
    Ledger,
    changed_since,
    changed_since_printed,
    pick,
    tags_for,
)

LEDGER = "pos-labels.jsonl"  # in the hub's data folder
FOLDER = "labels"  # the API's PDFs without a file given, in the hub's data folder
DEFAULT_TZ = "Europe/Moscow"


@frozen(kw_only=True)
class Batch:
    kind: Kind
    file: Path | None  # None: nothing printed, nothing written or recorded
    printed: list[Tag]
    pages: int
    rejects: list[Reject]


def ledger_of(data_path: Path) -> Ledger:
    """The printed-batch record of a hub's data folder."""
    return Ledger(data_path / LEDGER)


def since_of(value: str, tz: str) -> datetime | None:
    """``2026-12-01`` (midnight at the store) or an ISO date-time; ``None`` for ``last``."""
    if value.strip().lower() in ("last", "последний", "последние"):
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            at = datetime.combine(date.fromisoformat(value.strip()), time())
        except ValueError:
            raise ValueError(value) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(tz))


def store_of(settings: Any, catalog: Catalog) -> tuple[str, str]:
    """(the store's time zone, the name its tags show) for the catalog's site."""
    site: Any = settings.site(catalog.site) if catalog.site else None
    if site is None:
        return DEFAULT_TZ, ""
    return site.timezone, site.name or site.code


def print_batch(catalog: Catalog, *, kind: Kind, layout: Layout, output: Path, ledger: Ledger,
                now: datetime, codes: Sequence[str] | None = None,
                since: datetime | None = None, store: str = "", locale: str = "ru") -> Batch:
    """Tags of ``codes`` (codes or barcodes), else of the items whose price changed since
    ``since``, else since their last printed ``kind``; written to ``output`` (a half-written
    PDF never takes its name) and recorded in ``ledger``. An item that cannot be printed is a
    reject, the rest print; a sheet that cannot be drawn or written is a ``LabelError``."""
    rejects: list[Reject] = []
    if codes is not None:
        items, rejects = pick(catalog, codes)
    elif since is None:
        items = changed_since_printed(catalog, ledger, kind, now)
    else:
        items = changed_since(catalog, since, now)
    tags, more = tags_for(catalog, items, at=now, day=now.date(), store=store)
    sheet = render(tags, kind, layout, locale=locale)
    rejects += more + sheet.rejects
    if not sheet.printed:
        return Batch(kind=kind, file=None, printed=[], pages=0, rejects=rejects)
    tmp = output.with_name(output.name + ".part")
    try:
        tmp.write_bytes(sheet.pdf)
        os.replace(tmp, output)
    except OSError as exc:
        raise LabelError("write", file=str(output), why=exc.strerror or exc) from None
    ledger.record(kind, sheet.printed, at=now, layout=layout.name, file=str(output))
    return Batch(kind=kind, file=output, printed=list(sheet.printed), pages=sheet.pages,
                 rejects=rejects)


def output_of(data_path: Path, file: str, kind: Kind, now: datetime) -> Path:
    """Where the API writes: ``file`` (relative: in the data folder), a ``.pdf`` in an
    existing folder, never over a file that is not a PDF; without ``file`` a new name in the
    data folder's ``labels``."""
    if not file.strip():
        folder = data_path / FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{kind.value}-{now.strftime('%Y%m%d-%H%M%S')}.pdf"
    path = Path(file.strip()).expanduser()
    path = path if path.is_absolute() else data_path / path
    if path.suffix.lower() != ".pdf" or not path.parent.is_dir():
        raise LabelError("file", file=str(path))
    if path.exists():
        with path.open("rb") as f:
            if f.read(5) != b"%PDF-":
                raise LabelError("file", file=str(path))
    return path


async def on_hub(hub: Any, raw: Any, *, locale: str = "ru") -> dict[str, Any]:
    """The API's request ``{"codes": [...]} | {"since": "last" | DATE}``, with ``kind``
    (tag), ``layout`` (a4-3x8) and ``file``, printed on the running ``hub``; answers the file,
    what was printed and what was refused, in ``locale``."""
    import anyio

    if not isinstance(raw, Mapping):
        raise LabelError("choose")
    codes, since = raw.get("codes"), raw.get("since")
    if (codes is None) == (since is None):
        raise LabelError("choose")
    if isinstance(codes, str):
        codes = codes.replace(";", ",").split(",")
    if codes is not None and not isinstance(codes, list):
        raise LabelError("choose")
    try:
        kind = Kind(str(raw.get("kind") or "tag"))
    except ValueError:
        raise LabelError("kind", value=raw.get("kind")) from None
    layout = Layout.parse(str(raw.get("layout") or "a4-3x8"))
    catalog = await Catalog.open(hub)
    tz, store = store_of(hub.settings, catalog)
    now = hub.clock.now().astimezone(ZoneInfo(tz))
    start = None
    if since is not None:
        try:
            start = since_of(str(since), tz)
        except ValueError:
            raise LabelError("date", value=since) from None
    data_path = Path(hub.settings.data_path)
    output = output_of(data_path, str(raw.get("file") or ""), kind, now)
    batch = await anyio.to_thread.run_sync(lambda: print_batch(
        catalog, kind=kind, layout=layout, output=output, ledger=ledger_of(data_path),
        now=now, codes=[str(c) for c in codes] if codes is not None else None, since=start,
        store=store, locale=locale))
    return {"file": str(batch.file) if batch.file is not None else None,
            "kind": kind.value, "printed": len(batch.printed), "pages": batch.pages,
            "items": [t.code for t in batch.printed],
            "rejects": [{"code": r.code, "reason": r.error.text(locale)}
                        for r in batch.rejects]}
