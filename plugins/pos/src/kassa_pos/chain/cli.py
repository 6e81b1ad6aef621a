"""``kassa chain ...``: the chain's commands. Russian by default, ``--locale en`` for English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kassa_pos.chain.config import LEAF_PORT, write_store

_TEXTS = {
    "ru": {"done": "магазин {code}: записано {files}",
           "run": "запуск узла NATS магазина: nats-server -c {leaf}",
           "published": "{what} версии {version} отправлен магазинам {stores} "
                        "(частей на магазин: {parts})",
           "catalog": "каталог", "rules": "пакет правил", "layout": "раскладка касс",
           "plu": "таблица PLU весов", "clients": "справочник клиентов",
           "no_stock": "остатков нет: магазины ещё не прислали документов",
           "ref_sent": "магазину {code} отправлено: {what} (ждут в POS_REF до его запуска)",
           "ref_none": "ничего: центр ещё не публиковал справочники",
           "ref_add": "добавьте {code} в [pos.chain] stores центра, чтобы принимать его "
                      "продажи",
           "ref_failed": "файлы магазина записаны, но справочники не отправлены: {why}",
           "refused": "{why}; ничего не отправлено",
           "not_centre": "этот хаб не центр сети ([pos.chain] centre = true и nats)",
           "unknown_store": "магазина {code} нет в [pos.chain] stores; ничего не отправлено",
           "link": "NATS центра {url}: {why}; версия {version} записана, но не отправлена"},
    "en": {"done": "store {code}: wrote {files}",
           "run": "start the store's NATS node: nats-server -c {leaf}",
           "published": "{what} version {version} sent to stores {stores} "
                        "(parts per store: {parts})",
           "catalog": "catalog", "rules": "rules package", "layout": "till layout",
           "plu": "label scales' PLU table", "clients": "client register",
           "no_stock": "no stock: the stores have sent no documents yet",
           "ref_sent": "sent to store {code}: {what} (waiting in POS_REF until it starts)",
           "ref_none": "nothing: the centre has not published reference data yet",
           "ref_add": "add {code} to the centre's [pos.chain] stores to take its sales",
           "ref_failed": "the store's files are written, but no reference data was sent: {why}",
           "refused": "{why}; nothing sent",
           "not_centre": "this hub is not the chain's centre ([pos.chain] centre = true and nats)",
           "unknown_store": "store {code} is not in [pos.chain] stores; nothing sent",
           "link": "the centre's NATS {url}: {why}; version {version} recorded but not sent"},
}


def group() -> click.Group:
    @click.group("chain", help="Торговая сеть: центр и магазины / the retail chain")
    def chain() -> None:
        pass

    @chain.group("store", help="Магазины сети / the chain's stores")
    def store() -> None:
        pass

    @store.command("new", help="Новый магазин из шаблона / a new store from a template")
    @click.option("--from", "template", required=True,
                  type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--code", required=True, help="код магазина / store code (S01)")
    @click.option("--central", required=True,
                  help="nats://host:7422, слушатель leafnodes центра / the centre's leafnodes")
    @click.option("-o", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
    @click.option("--tills", default=2, show_default=True, type=int)
    @click.option("--leaf-port", default=LEAF_PORT, show_default=True, type=int)
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml центра: отправить магазину последние справочники / the "
                       "centre's kassa.toml: send the store the latest reference data")
    def new(template: Path, code: str, central: str, out: Path, tills: int, leaf_port: int,
            locale: str, config: str | None) -> None:
        t = _TEXTS[locale]
        try:
            paths = write_store(template, code, central, out, tills=tills, leaf_port=leaf_port)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(t["done"].format(code=code, files=", ".join(str(p) for p in paths)))
        if config is not None:
            send_reference(code, config, locale)
        click.echo(t["run"].format(leaf=paths[1]))

    @chain.group("refdata", help="Справочники для магазинов / reference data for the stores")
    def refdata() -> None:
        pass

    @refdata.command("publish", help="Опубликовать каталог и прайс-листы (полный пакет) / "
                                     "publish the catalog and price lists (a full package)")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--store", "stores", multiple=True,
                  help="только этим магазинам (по умолчанию всем) / only these stores")
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml центра / the centre's kassa.toml")
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
    @click.option("--kind", default="catalog", show_default=True,
                  type=click.Choice(["catalog", "rules", "layout", "plu", "clients"]),
                  help="rules: TOML/JSON с ключами staff, rights, manual_discount_limit, "
                       "void_needs_manager, discounts, messages; layout: файл раскладки "
                       "кассы; plu: JSON/TOML с товарами весов (items: code, name, price "
                       "коп./кг, plu, department, group, shelf_life, tare, message, "
                       "picture); clients: JSON/CSV с картами (card, guest, name, groups, "
                       "birthday, blocked) / a rules table with those keys; a till layout "
                       "file; the label scales' weighed goods; the chain's client cards")
    def publish(file: Path, stores: tuple[str, ...], config: str | None, locale: str,
                kind: str) -> None:
        publish_file(file, list(stores), config, locale, kind=kind)

    @chain.command("stock", help="Остатки по магазинам (в центре) / stock per store "
                                 "(at the centre)")
    @click.option("--config", "-c", "config", default=None,
                  help="kassa.toml центра / the centre's kassa.toml")
    @click.option("--store", default=None, help="один магазин / one store")
    @click.option("--item", "items", multiple=True, help="только эти товары / only these")
    @click.option("--locale", default="ru", type=click.Choice(["ru", "en"]))
    def stock(config: str | None, store: str | None, items: tuple[str, ...],
              locale: str) -> None:
        show_stock(config, store, list(items) or None, locale)

    return chain


def show_stock(config: str | None, store: str | None, items: list[str] | None,
               locale: str) -> None:
    """``kassa chain stock``: the centre's levels (``ingest.stock_levels``), one line each."""
    import anyio
    from kassa.cli import load_settings
    from kassa.errors import UserError

    from kassa_pos.chain.ingest import stock_levels
    from kassa_pos.cli import CliHub
    from kassa_pos.settings import PosSettings

    t = _TEXTS[locale]
    try:
        settings = load_settings(config)
        cfg = CliHub(settings).section("pos", PosSettings).chain
    except (UserError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not cfg.centre:
        raise click.ClickException(t["not_centre"])

    async def go() -> Any:
        hub = CliHub(settings)
        try:
            await hub.store.prepare()
            async with hub.engine.connect() as conn:
                return await stock_levels(conn, store=store, items=items)
        finally:
            await hub.store.close()

    try:
        levels = anyio.run(go)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    if not levels:
        click.echo(t["no_stock"])
    for code, by_item in levels.items():
        for item, qty in by_item.items():
            click.echo(f"{code}\t{item}\t{format(qty.normalize(), 'f')}")


def send_reference(code: str, config: str, locale: str) -> None:
    """``store new -c``: the newest catalog and rules packages sent to the new store's
    subjects in the centre's ``POS_REF`` (they wait there until the store first connects).
    A failure after the files were written says so in one sentence, exit 1."""
    import anyio
    from kassa.cli import load_settings
    from kassa.errors import UserError

    from kassa_pos.chain import refdata_stream
    from kassa_pos.chain.service import connect, link_errors, safe_url
    from kassa_pos.cli import CliHub
    from kassa_pos.settings import PosSettings

    t = _TEXTS[locale]
    try:
        settings = load_settings(config)
        cfg = CliHub(settings).section("pos", PosSettings).chain
    except (UserError, ValueError) as exc:
        raise click.ClickException(t["ref_failed"].format(why=exc)) from None
    if not (cfg.centre and cfg.nats):
        raise click.ClickException(t["ref_failed"].format(why=t["not_centre"]))

    async def go() -> list[tuple[str, int]]:
        hub = CliHub(settings)
        nc = None
        try:
            await hub.store.prepare()
            nc = await connect(cfg.nats)
            return await refdata_stream.send_latest(hub.engine, nc.jetstream(), code)
        finally:
            if nc is not None:
                await nc.close()
            await hub.store.close()

    try:
        sent = anyio.run(go)
    except UserError as exc:
        raise click.ClickException(t["ref_failed"].format(why=exc)) from None
    except link_errors() as exc:
        raise click.ClickException(t["ref_failed"].format(
            why=f"NATS {safe_url(cfg.nats)}: {exc}")) from None
    what = ", ".join(f"{t[kind]} {version}" for kind, version in sent) or t["ref_none"]
    click.echo(t["ref_sent"].format(code=code, what=what))
    if code not in cfg.stores:
        click.echo(t["ref_add"].format(code=code))


def read_rules(file: Path) -> dict[str, Any]:
    """A rules file: TOML (``[[staff]]``, ``[rights]``, ``[[discounts]]``...) or JSON."""
    import json
    import tomllib

    raw = file.read_bytes()
    try:
        data = json.loads(raw) if file.suffix == ".json" else tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{file.name}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{file.name}: expected a table")
    return data


def publish_file(file: Path, stores: list[str], config: str | None, locale: str,
                 kind: str = "catalog") -> None:
    """``kassa chain refdata publish``: the file checked before anything else (a bad row:
    one sentence, exit 1, nothing recorded or sent), then the next version, then the send."""
    import anyio
    from kassa.cli import load_settings
    from kassa.errors import UserError

    from kassa_pos.chain import clients, plu, refdata_stream
    from kassa_pos.chain.refdata import RefusedPackage, parse_layout, parse_rules, validate
    from kassa_pos.chain.service import connect, link_errors, safe_url
    from kassa_pos.cli import CliHub
    from kassa_pos.engine.catalog import CatalogError
    from kassa_pos.engine.catalog_import import read_file
    from kassa_pos.settings import PosSettings

    t = _TEXTS[locale]
    data: Any
    try:
        if kind == "rules":
            data = read_rules(file)
            parse_rules(data, locale)
        elif kind == "layout":
            data = {"text": file.read_text(encoding="utf-8")}
            parse_layout(data, locale)
        elif kind == "plu":
            data = plu.read(file, locale)
        elif kind == "clients":
            data = clients.read(file, locale)
        else:
            data = read_file(file)
            validate(data, locale)
    except CatalogError as exc:
        raise click.ClickException(t["refused"].format(why=exc.text(locale))) from None
    except (RefusedPackage, ValueError) as exc:
        raise click.ClickException(t["refused"].format(why=exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{file}: {exc.strerror}") from None
    try:
        settings = load_settings(config)
        cfg = CliHub(settings).section("pos", PosSettings).chain
    except (UserError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if not (cfg.centre and cfg.nats):
        raise click.ClickException(t["not_centre"])
    for code in stores:
        if code not in cfg.stores:
            raise click.ClickException(t["unknown_store"].format(code=code))
    targets = stores or list(cfg.stores)
    state: dict[str, Any] = {}

    async def go() -> tuple[int, int]:
        hub = CliHub(settings)
        nc = None
        try:
            await hub.store.prepare()  # as at a hub's start: PostgreSQL must be upgraded
            nc = await connect(cfg.nats)  # before the version: a dead NATS records nothing
            return await refdata_stream.publish(
                hub.engine, nc.jetstream(), data, targets, now=hub.now(), locale=locale,
                assigned=lambda v: state.update(version=v),
                kind=None if kind == "catalog" else kind)
        finally:
            if nc is not None:
                await nc.close()
            await hub.store.close()

    try:
        version, parts = anyio.run(go)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    except link_errors() as exc:
        raise click.ClickException(t["link"].format(
            url=safe_url(cfg.nats), why=exc, version=state.get("version", "—"))) from None
    click.echo(t["published"].format(what=t[kind], version=version, stores=", ".join(targets),
                                     parts=parts))

