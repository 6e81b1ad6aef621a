"""``kassa demo``: a simulated chain through the real hub, assembled from whatever
``register_simulators`` returns (the core imports no plugin)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import anyio
import attrs

from kassa.config import parse
from kassa.hub import Hub
from kassa.plugins import get_plugins

log = logging.getLogger("kassa.demo")
BUSINESS_DAY_S = 12.5 * 3600  # the simulated restaurants open 10:30 and close after 23:00
SITE_CODES = ("r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9")
SHOP_CODES = ("s1",)  # a retail shop next to the restaurants (a POS plugin's simulator)


@attrs.define
class DemoOptions:
    headless: bool = False
    seconds: float = 20.0
    sites: int = 3
    speed: float | None = None  # None: 600x live; headless: the day ends within the run
    locale: str = "ru"
    seed: int = 7
    data_dir: str | None = None
    # a plugin's own terminal app instead of the console (``kassa pos till --demo``): run
    # in the hub's loop; the demo ends when it returns
    attach: Callable[[Hub], Awaitable[None]] | None = None
    # a plugin's demo assembling a part of the whole (a chain's store process): only the
    # simulators of these names (None: all), these shop and restaurant sites (None: the
    # defaults), and a config fragment merged over theirs
    only: tuple[str, ...] | None = None
    shops: list[str] | None = None
    restaurants: list[str] | None = None
    config: Mapping[str, Any] = attrs.Factory(dict)


@attrs.define
class DemoSettings:
    """What ``register_simulators(settings)`` receives in the demo."""

    sites: list[str]
    site_count: int
    speed: float
    seed: int
    locale: str
    # Sites that are shops, not restaurants: a POS simulator runs them, a fiscal simulator
    # serves them a register as it does each of ``sites``; restaurant simulators skip them.
    # (``run_demo`` names ``SHOP_CODES``; empty by default, so a test's settings add none.)
    shops: list[str] = attrs.Factory(list)
    # What simulators publish for one another (name -> URL), gathered from every simulator's
    # optional ``endpoints`` before any starts, so one reads another's at its own start (the
    # r_keeper tills: the loyalty engine's ``farcards_url``), whatever the start order, and
    # no plugin imports another.
    endpoints: dict[str, str] = attrs.Factory(dict)


def publish_endpoints(sims: list[Any], settings: DemoSettings) -> None:
    """Collect what each simulator publishes (``sim.endpoints``, optional) into ``settings``.
    Two simulators publishing the same name is a wiring error, not a silent override."""
    for sim in sims:
        for name, url in (getattr(sim, "endpoints", None) or {}).items():
            if settings.endpoints.get(name, url) != url:
                raise ValueError(f"demo endpoint {name!r} published twice: "
                                 f"{settings.endpoints[name]} and {url} ({sim.name})")
            settings.endpoints[name] = url


def merge(base: dict[str, Any], fragment: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge, arrays concatenate (so every simulator adds its sites and chats)."""
    out = dict(base)
    for k, v in fragment.items():
        if k in out and isinstance(out[k], dict) and isinstance(v, Mapping):
            out[k] = merge(out[k], v)
        elif k in out and isinstance(out[k], list) and isinstance(v, list):
            out[k] = out[k] + list(v)
        else:
            out[k] = v
    return out


def merge_sites(config: dict[str, Any]) -> dict[str, Any]:
    """Two simulators may describe the same site code: fold them into one [[sites]] entry."""
    by_code: dict[str, dict[str, Any]] = {}
    for s in config.get("sites", []):
        by_code[s["code"]] = merge(by_code.get(s["code"], {}), s)
    config["sites"] = list(by_code.values())
    return config


def with_reports(config: dict[str, Any], reports: Mapping[str, Any]) -> None:
    """Demo chats get the shift-close reports an owner would pick, when they exist."""
    wanted = [n for n in ("system_balance", "deletions") if n in reports] or \
        [n for n in ("event_summary",) if n in reports]
    for chat in config.get("chats", []):
        chat.setdefault("auto_reports", wanted)


async def run_demo(opts: DemoOptions) -> int:
    plugins = get_plugins()
    if not opts.headless and opts.attach is None and plugins.console() is None:
        print("The console is not installed: pip install kassa-console "
              "(or run kassa demo --headless).")
        return 1
    codes = list(SITE_CODES[: max(1, min(opts.sites, len(SITE_CODES)))]) \
        if opts.restaurants is None else list(opts.restaurants)
    speed = opts.speed or (max(600.0, BUSINESS_DAY_S / max(opts.seconds * 0.6, 1.0))
                           if opts.headless else 600.0)
    demo_settings = DemoSettings(sites=codes, site_count=len(codes), speed=speed,
                                 seed=opts.seed, locale=opts.locale,
                                 shops=list(SHOP_CODES if opts.shops is None else opts.shops))
    sims = [s for s in await plugins.simulators(demo_settings)
            if opts.only is None or s.name in opts.only]
    if not sims:
        print("No simulators are installed: install kassa-rkeeper and a messenger plugin.")
        return 1
    publish_endpoints(sims, demo_settings)
    tmp = tempfile.TemporaryDirectory(prefix="kassa-demo-")
    data_dir = Path(opts.data_dir or tmp.name)
    config: dict[str, Any] = {"hub": {"name": "kassa-demo", "locale": opts.locale,
                                      "data_dir": str(data_dir)},
                              "api": {"port": 0, "token": "demo"},
                              "outbox": {"report_settle": 2.0}}
    started = []
    try:
        for sim in sims:
            fragment = await sim.start()
            started.append(sim)
            config = merge(config, fragment)
        config = merge(config, opts.config)
        with_reports(config, plugins.reports())
        settings = parse(merge_sites(config), sections=plugins.settings_sections(),
                         file="demo")
        async with Hub(settings, plugins=plugins) as hub:
            from kassa.runner import attach_console, settle_memory

            settle_memory()  # a long-running process, as `kassa run`
            if opts.headless:
                await anyio.sleep(opts.seconds)
                await hub.drain(timeout=30)
                return await print_summary(hub, started)
            if opts.attach is not None:
                await opts.attach(hub)
            else:
                await attach_console(hub, opts.locale)
            return 0
    finally:
        for sim in reversed(started):
            with anyio.CancelScope(shield=True):
                try:
                    await sim.stop()
                except Exception:
                    log.exception("simulator %s did not stop cleanly", sim.name)
        tmp.cleanup()


async def sent_by_kind(hub: Hub) -> dict[str, int]:
    from sqlalchemy import func, select
    from sqlmodel import col

    from kassa.store.tables import OutboxRow

    async with hub.store.read() as conn:
        rows = (await conn.execute(select(col(OutboxRow.kind), func.count()).where(
            col(OutboxRow.status) == "sent").group_by(col(OutboxRow.kind)))).all()
    return {str(k): int(n) for k, n in rows}


async def print_summary(hub: Hub, sims: list[Any]) -> int:
    events = await hub.events()
    counts = await hub.outbox.counts()
    by_kind: dict[str, int] = {}
    for e in events:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    print(f"events: {len(events)} ({len(by_kind)} kinds), duplicates ignored: "
          f"{hub.log.duplicates}")
    print(f"messages: sent {counts['sent']}, merged into digests {counts['merged']}, "
          f"pending {counts['pending']}, dead {counts['dead']}")
    for ch, c in sorted(counts["by_channel"].items()):
        print(f"  {ch}: sent {c['sent']}, merged {c['merged']}, pending {c['pending']}, "
              f"dead {c['dead']}")
    sent = await sent_by_kind(hub)
    print(f"alerts sent: {sent.get('alert', 0)}, digests: {sent.get('digest', 0)}, "
          f"reports: {sent.get('report', 0)}, replies: {sent.get('reply', 0)}; "
          f"shift closes: {sum(by_kind.get(k, 0) for k in hub.kinds.closing())}")
    print("kinds: " + ", ".join(f"{k}={n}" for k, n in sorted(by_kind.items())))
    received_total = 0
    unfiscalised = 0  # a shop's paid checks without a receipt from its register
    for sim in sims:
        summary = getattr(sim, "summary", None)  # optional: what the simulator recorded
        if callable(summary):
            try:
                got = summary()
            except Exception as exc:
                print(f"{sim.name}: summary unavailable ({exc})")
                continue
            print(f"{sim.name} recorded: {got}")
            # a chat's count, or a device's {"received": n} (a printer's tickets)
            received_total += sum(v if isinstance(v, int) else v.get("received", 0)
                                  for v in got.values() if isinstance(v, int | dict))
            # a shop's {"checks": paid, "receipts": distinct FN+FD its register answered}
            unfiscalised += sum(abs(v["checks"] - v["receipts"]) for v in got.values()
                                if isinstance(v, dict) and {"checks", "receipts"} <= v.keys())
    if received_total:
        # per channel above: what the hub sent; a long text arrives in several parts
        print(f"messages the simulated chats received: {received_total}")
    if counts["pending"]:
        print(f"still queued within messenger budgets (kept, sent next): {counts['pending']}")
    if unfiscalised:
        print(f"SHOP CHECKS WITHOUT A RECEIPT (or receipts without a check): {unfiscalised}")
    ok = counts["dead"] == 0 and bool(events) and not unfiscalised
    print("nothing lost" if ok else f"DEAD LETTERS: {counts['dead']}")
    return 0 if ok else 1
