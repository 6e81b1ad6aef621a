"""``kassa pos labels``: price tags or barcode labels for chosen items as one PDF file
(``labels.batch`` does the work, as for the store hub's API)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from kassa_pos.labels import needs_extra

_TEXTS = {
    "ru": {"done": "напечатано {n} ({kind}) на {pages} стр.: {file}",
           "tag": "ценники", "barcode": "этикетки",
           "none": "нечего печатать: ни один товар не выбран",
           "choose": "укажите ровно одно: --changed-since ДАТА|last или --codes А,Б,...",
           "date": "--changed-since: {value!r} — не дата (ГГГГ-ММ-ДД) и не last",
           "skip": "  пропущено: {reason}"},
    "en": {"done": "printed {n} ({kind}) on {pages} page(s): {file}",
           "tag": "price tags", "barcode": "barcode labels",
           "none": "nothing to print: no item was chosen",
           "choose": "give exactly one of --changed-since DATE|last or --codes A,B,...",
           "date": "--changed-since: {value!r} is neither a date (YYYY-MM-DD) nor last",
           "skip": "  skipped: {reason}"},
}


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
            from kassa_pos.labels.batch import (
                ledger_of,
                print_batch,
                since_of,
                store_of,
            )
            from kassa_pos.labels.draw import Kind, LabelError
        except ModuleNotFoundError as exc:  # reportlab / matplotlib: the labels extra
            raise click.ClickException(needs_extra(exc.name, locale)) from None
        from kassa_pos.labels.layout import Layout, LayoutError
        from kassa_pos.labels.select import Ledger

        t = _TEXTS[locale]
        if (since is None) == (codes is None):
            raise click.UsageError(t["choose"])
        try:
            layout = Layout.parse(layout_name, margin=margin)
        except LayoutError as exc:
            raise click.ClickException(exc.text(locale)) from None
        settings = load_settings(config)
        book = Ledger(ledger) if ledger is not None else ledger_of(settings.data_path)

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
        tz, store = store_of(settings, catalog)
        now = datetime.now(ZoneInfo(tz))
        start: datetime | None = None
        if since is not None:
            try:
                start = since_of(since, tz)
            except ValueError:
                raise click.ClickException(t["date"].format(value=since)) from None
        try:
            batch = print_batch(catalog, kind=Kind(kind), layout=layout, output=output,
                                ledger=book, now=now,
                                codes=codes.split(",") if codes is not None else None,
                                since=start, store=store, locale=locale)
        except LabelError as exc:
            raise click.ClickException(exc.text(locale)) from None
        for r in batch.rejects:
            click.echo(t["skip"].format(reason=r.error.text(locale)), err=True)
        if batch.file is None:
            raise click.ClickException(t["none"])
        click.echo(t["done"].format(n=len(batch.printed), kind=t[kind], pages=batch.pages,
                                    file=output))

    return labels
