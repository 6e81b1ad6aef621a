"""``kassa pos till``: the hub in this process with the cashier's till attached to it (the
engine runs in-process on the till PC), or ``--demo``: the demo's simulated shop with its
third till left to the person at the keyboard. Quitting the till stops the hub cleanly;
a till that cannot start says why in one sentence before anything starts."""

from __future__ import annotations

import importlib.util
from functools import partial
from typing import Any

from kassa.errors import UserError


def need_textual() -> None:
    if importlib.util.find_spec("textual") is None:
        raise UserError("the till's screen needs Textual: pip install 'kassa-pos[till]'")


def pick_till(settings: Any, name: str | None) -> tuple[str, str]:
    """(the till's name, its layout file) from ``[pos]``; one sentence when it is not there."""
    from kassa_pos.settings import PosSettings

    pos = settings.plugins.get("pos")
    if not isinstance(pos, PosSettings) or not pos.tills:
        raise UserError("kassa.toml has no [[pos.tills]]: a till needs its [pos] section.")
    names = [t.name for t in pos.tills]
    if name is None:
        if len(names) > 1:
            raise UserError(f"this store has {len(names)} tills ({', '.join(names)}): "
                            "choose one with --till.")
        name = names[0]
    till = next((t for t in pos.tills if t.name == name), None)
    if till is None:
        raise UserError(f"there is no till {name!r} in [[pos.tills]] ({', '.join(names)}).")
    return name, till.layout or pos.layout


async def attach(hub: Any, name: str, layout_file: str, hint: str = "",
                 catalog: Any = None) -> None:
    """Run the till app on ``hub`` until the cashier quits."""
    from kassa.terminal import terminal_to_console

    from kassa_pos.engine.till import Till
    from kassa_pos.till.app import TillApp
    from kassa_pos.till.layout import load

    layout = await store_layout(hub) or load(layout_file)
    till = await Till.open(hub, name, catalog=catalog)
    try:
        with terminal_to_console():
            await TillApp(till, layout=layout, hint=hint).run_async()
    finally:
        await till.aclose()


async def store_layout(hub: Any) -> Any:
    """The layout the chain's centre sent this store (a ``layout`` reference package),
    which wins over ``[pos] layout``; None: none applied."""
    from kassa_pos.chain.refdata import LAYOUT, parse_layout, rules_body

    async with hub.engine.connect() as conn:
        body = await conn.run_sync(lambda c: rules_body(c, LAYOUT))
    return None if body is None else parse_layout(body)


def run(config: str | None, name: str | None) -> None:
    import anyio
    from kassa.cli import load_settings
    from kassa.runner import run_hub

    from kassa_pos.till.layout import load

    need_textual()
    settings = load_settings(config)
    name, layout_file = pick_till(settings, name)
    load(layout_file)  # a broken layout refuses before the hub starts
    anyio.run(partial(run_hub, settings, attach=partial(attach, name=name,
                                                        layout_file=layout_file)))


def run_demo(locale: str) -> int:
    import anyio
    from kassa.demo import DemoOptions
    from kassa.demo import run_demo as demo

    from kassa_pos.sim import PERSON_TILL, shop_catalog

    need_textual()

    from kassa.i18n import t

    async def till(hub: Any) -> None:
        await attach(hub, PERSON_TILL, "", hint=t("pos.till.login.demo", locale),
                     catalog=shop_catalog(hub))

    return int(anyio.run(demo, DemoOptions(sites=1, locale=locale, attach=till)))
