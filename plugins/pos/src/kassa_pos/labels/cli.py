"""``kassa pos labels``: price tags or barcode labels for chosen items as one PDF file."""

from __future__ import annotations

import os
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

_TEXTS = {
    "ru": {"done": "напечатано {n} ({kind}) на {pages} стр.: {file}",
           "tag": "ценники", "barcode": "этикетки",
           "none": "нечего печатать: ни один товар не выбран",
           "choose": "укажите ровно одно: --changed-since ДАТА|last или --codes А,Б,...",
           "date": "--changed-since: {value!r} — не дата (ГГГГ-ММ-ДД) и не last",
           "skip": "  пропущено: {reason}",
           "extra": "ценники печатает kassa-pos с дополнением labels: "
                    "pip install 'kassa-pos[labels]' (нет модуля {module})"},
    "en": {"done": "printed {n} ({kind}) on {pages} page(s): {file}",
           "tag": "price tags", "barcode": "barcode labels",
           "none": "nothing to print: no item was chosen",
           "choose": "give exactly one of --changed-since DATE|last or --codes A,B,...",
           "date": "--changed-since: {value!r} is neither a date (YYYY-MM-DD) nor last",
           "skip": "  skipped: {reason}",
           "extra": "price tags need kassa-pos's labels extra: "
                    "pip install 'kassa-pos[labels]' (no module {module})"},
}


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


def command() -> click.Command:
    @click.command("labels")
    @click.option("--changed-since", "since", default=None, metavar="DATE|last",
                  help="items whose price changed since DATE, or since their last printed tag")
    @click.option("--codes", default=None, metavar="A,B,...",
                  help="item codes or barcodes, comma-separated")
    @click.option("--kind", default="tag", type=click.Choice(["tag", "barcode"]))
    @click.option("--layout", "layout_name", default="a4-3x8", metavar="a4-3x8|roll-58x40",
                  help="a4-COLSxROWS[@WxH mm] or roll-WxH (mm)")
    @click.option("--margin", default=8.0, type=float, help="A4 margins, mm")
    @click.option("-o", "--output", required=True,
                  type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--ledger", default=None, type=click.Path(dir_okay=False, path_type=Path),
                  help="the printed-batch record (default: <data_dir>/pos-labels.jsonl)")
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml (default: ./kassa.toml or $KASSA_CONFIG)")
    def labels(since: str | None, codes: str | None, kind: str, layout_name: str,
               margin: float, output: Path, ledger: Path | None, locale: str,
               config: str | None) -> None:
        """Price tags or barcode labels as a PDF: for items whose price changed (since a
        date, or since the last printed batch) or for a list of codes. Items that cannot be
        printed are listed with the reason; the rest print."""
        import anyio
        from kassa.cli import load_settings
        from kassa.errors import UserError

        from kassa_pos.cli import CliHub
        from kassa_pos.engine.catalog import Catalog

        try:
            from kassa_pos.labels.draw import Kind, LabelError, Reject, render
        except ModuleNotFoundError as exc:  # reportlab / matplotlib: the labels extra
            raise click.ClickException(_TEXTS[locale]["extra"].format(module=exc.name)
                                       ) from None
        from kassa_pos.labels.layout import Layout, LayoutError
        from kassa_pos.labels.select import (
            Ledger,
            changed_since,
            changed_since_printed,
            pick,
            tags_for,
        )

        t = _TEXTS[locale]
        if (since is None) == (codes is None):
            raise click.UsageError(t["choose"])
        try:
            layout = Layout.parse(layout_name, margin=margin)
        except LayoutError as exc:
            raise click.ClickException(exc.text(locale)) from None
        settings = load_settings(config)
        book = Ledger(ledger or settings.data_path / "pos-labels.jsonl")
        what = Kind(kind)

        async def load() -> Catalog:
            hub = CliHub(settings)
            try:
                await hub.store.prepare()
                return await Catalog.open(hub)
            finally:
                await hub.store.close()

        try:
            catalog = anyio.run(load)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        site: Any = settings.site(catalog.site) if catalog.site else None
        tz = site.timezone if site is not None else "Europe/Moscow"
        now = datetime.now(ZoneInfo(tz))
        rejects: list[Reject] = []
        if codes is not None:
            items, rejects = pick(catalog, codes.split(","))
        else:
            try:
                start = since_of(since or "", tz)
            except ValueError:
                raise click.ClickException(t["date"].format(value=since)) from None
            items = (changed_since_printed(catalog, book, what, now) if start is None
                     else changed_since(catalog, start, now))
        tags, more = tags_for(catalog, items, at=now, day=now.date(),
                              store=(site.name or site.code) if site is not None else "")
        rejects += more
        try:
            sheet = render(tags, what, layout, locale=locale)
        except LabelError as exc:
            raise click.ClickException(exc.text(locale)) from None
        rejects += sheet.rejects
        for r in rejects:
            click.echo(t["skip"].format(reason=r.error.text(locale)), err=True)
        if not sheet.printed:
            raise click.ClickException(t["none"])
        tmp = output.with_name(output.name + ".part")
        try:
            tmp.write_bytes(sheet.pdf)
            os.replace(tmp, output)  # a half-written PDF never takes the file's name
        except OSError as exc:
            raise click.ClickException(f"{output}: {exc.strerror}") from None
        book.record(what, sheet.printed, at=now, layout=layout.name, file=str(output))
        click.echo(t["done"].format(n=len(sheet.printed), kind=t[kind], pages=sheet.pages,
                                    file=output))

    return labels
