"""``kassa chain ...``: the chain's commands. Russian by default, ``--locale en`` for English."""

from __future__ import annotations

from pathlib import Path

import click

from kassa_pos.chain.config import LEAF_PORT, write_store

_TEXTS = {
    "ru": {"done": "магазин {code}: записано {files}",
           "run": "запуск узла NATS магазина: nats-server -c {leaf}"},
    "en": {"done": "store {code}: wrote {files}",
           "run": "start the store's NATS node: nats-server -c {leaf}"},
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
    def new(template: Path, code: str, central: str, out: Path, tills: int, leaf_port: int,
            locale: str) -> None:
        t = _TEXTS[locale]
        try:
            paths = write_store(template, code, central, out, tills=tills, leaf_port=leaf_port)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(t["done"].format(code=code, files=", ".join(str(p) for p in paths)))
        click.echo(t["run"].format(leaf=paths[1]))

    return chain
