"""A typed facade over pluggy: one method per hook. Nothing else calls ``pm.hook.x``.

Plugins are found through the ``kassa`` entry-point group. Built-in behaviour is registered as
ordinary plugins from ``DEFAULT_PLUGINS``. ``KASSA_LOAD_PLUGINS=a,b`` loads only the named
entry points (empty: none); ``KASSA_DISABLE_PLUGINS=a,b`` blocks some.
"""

from __future__ import annotations

import importlib
import inspect
import os
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from kassa import PROJECT
from kassa.errors import UserError
from kassa.hookspecs import MODULES

if TYPE_CHECKING:
    import click

    from kassa.hookspecs.app import Console, ConsolePanel, HubAPI, Simulator
    from kassa.hookspecs.devices import Device
    from kassa.hookspecs.events import EventSource
    from kassa.hookspecs.fiscal import FiscalDevice
    from kassa.hookspecs.loyalty import LoyaltyProgram
    from kassa.hookspecs.notify import Channel, ChatCommand
    from kassa.hookspecs.payments import PaymentMethod
    from kassa.hookspecs.reports import ReportDefinition
    from kassa.model import ChatRef, Event, Message

T = TypeVar("T")

DEFAULT_PLUGINS = (
    "kassa.notify_default",
    "kassa.commands_builtin",
    "kassa.reports.builtin",
)


async def await_me_maybe(value: Any) -> Any:
    """Call it if callable, await it if awaitable (datasette's rule)."""
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


def _flatten(results: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for r in results:
        if r is None:
            continue
        if isinstance(r, (list, tuple)):
            out.extend(r)
        else:
            out.append(r)
    return out


class Plugins:
    """Typed calls over one ``pluggy.PluginManager``."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    # --- app -------------------------------------------------------------------------------
    def settings_sections(self) -> dict[str, type]:
        sections: dict[str, type] = {}
        for res in self.pm.hook.register_settings():
            for name, cls in (res or {}).items():
                sections[name] = cls
        return sections

    async def on_startup(self, hub: HubAPI) -> None:
        for res in self.pm.hook.on_startup(hub=hub):
            await await_me_maybe(res)

    async def on_shutdown(self, hub: HubAPI) -> None:
        for res in self.pm.hook.on_shutdown(hub=hub):
            await await_me_maybe(res)

    def register_cli_commands(self, cli: click.Group) -> None:
        self.pm.hook.register_cli_commands(cli=cli)

    async def routes(self, hub: HubAPI) -> list[Any]:
        return _flatten([await await_me_maybe(r) for r in self.pm.hook.register_routes(hub=hub)])

    def console_panels(self) -> list[ConsolePanel]:
        return _flatten(self.pm.hook.register_console_panels())

    def console(self) -> Console | None:
        """The operator console a plugin (``kassa-console``) provides; the first one wins."""
        found: Console | None = self.pm.hook.register_console()
        return found

    async def simulators(self, settings: Any) -> list[Simulator]:
        results = self.pm.hook.register_simulators(settings=settings)
        return _flatten([await await_me_maybe(r) for r in results])

    # --- events ----------------------------------------------------------------------------
    async def sources(self, hub: HubAPI) -> list[EventSource]:
        return _flatten([await await_me_maybe(r) for r in self.pm.hook.register_sources(hub=hub)])

    def on_event_impls(self) -> list[tuple[str, Any]]:
        """(plugin name, bound function) pairs, so the hub can isolate each listener."""
        return [(impl.plugin_name, impl.function) for impl in
                reversed(self.pm.hook.on_event.get_hookimpls())]

    async def on_event(self, event: Event, hub: HubAPI) -> list[tuple[str, BaseException]]:
        """Call every listener; return the failures instead of raising them."""
        failures: list[tuple[str, BaseException]] = []
        for name, fn in self.on_event_impls():
            try:
                await await_me_maybe(_call(fn, event=event, hub=hub))
            except Exception as exc:  # a listener's bug must not stop the others
                failures.append((name, exc))
        return failures

    # --- notify ----------------------------------------------------------------------------
    async def channels(self, hub: HubAPI) -> list[Channel]:
        return _flatten([await await_me_maybe(r) for r in self.pm.hook.register_channels(hub=hub)])

    def format_message(self, event: Event, chat: ChatRef, locale: str,
                       hub: HubAPI | None = None) -> Message | None:
        result: Message | None = self.pm.hook.format_message(event=event, chat=chat,
                                                             locale=locale, hub=hub)
        return result

    def commands(self) -> dict[str, ChatCommand]:
        out: dict[str, ChatCommand] = {}
        # pluggy returns the last registered first; iterate reversed so later plugins win.
        for cmd in _flatten(reversed(self.pm.hook.register_commands())):
            out[cmd.name] = cmd
        return out

    # --- reports, money, fiscal, devices ---------------------------------------------------
    def reports(self) -> dict[str, ReportDefinition]:
        out: dict[str, ReportDefinition] = {}
        for rep in _flatten(reversed(self.pm.hook.register_reports())):
            if rep.name in out:
                raise UserError(f"two plugins register a report named {rep.name!r}")
            out[rep.name] = rep
        return out

    async def payment_methods(self, hub: HubAPI) -> list[PaymentMethod]:
        res = self.pm.hook.register_payment_methods(hub=hub)
        return _flatten([await await_me_maybe(r) for r in res])

    async def loyalty_programs(self, hub: HubAPI) -> list[LoyaltyProgram]:
        res = self.pm.hook.register_loyalty_programs(hub=hub)
        return _flatten([await await_me_maybe(r) for r in res])

    async def fiscal_devices(self, hub: HubAPI) -> list[FiscalDevice]:
        res = self.pm.hook.register_fiscal_devices(hub=hub)
        return _flatten([await await_me_maybe(r) for r in res])

    async def devices(self, hub: HubAPI) -> list[Device]:
        return _flatten([await await_me_maybe(r) for r in self.pm.hook.register_devices(hub=hub)])

    # --- introspection ---------------------------------------------------------------------
    def describe(self, *, include_builtin: bool = False) -> list[dict[str, Any]]:
        """``[{name, version, hooks}]`` for ``kassa plugins``."""
        dists = {id(plugin): dist for plugin, dist in self.pm.list_plugin_distinfo()}
        out = []
        for plugin in self.pm.get_plugins():
            name = self.pm.get_name(plugin) or "?"
            if name.startswith("kassa.") and not include_builtin:
                continue
            dist = dists.get(id(plugin))
            hooks = sorted(h.name for h in (self.pm.get_hookcallers(plugin) or []))
            out.append({
                "name": name,
                "version": dist.version if dist else None,
                "distribution": dist.project_name if dist else None,
                "hooks": hooks,
            })
        return sorted(out, key=lambda d: d["name"])


def _call(fn: Any, **kwargs: Any) -> Any:
    """Call a hookimpl with the subset of arguments it declares (pluggy's rule)."""
    names = getattr(fn, "_kassa_argnames", None)
    if names is None:
        names = tuple(inspect.signature(fn).parameters)
        try:
            fn._kassa_argnames = names
        except AttributeError:  # bound methods: cache on the function
            fn.__func__._kassa_argnames = names
    return fn(**{k: v for k, v in kwargs.items() if k in names})


def new_manager(*, entry_points: bool = True, builtins: bool = True,
                extra: Sequence[Any] = ()) -> pluggy.PluginManager:
    """A plugin manager with the hookspecs added, built-ins and (optionally) entry points."""
    pm = pluggy.PluginManager(PROJECT)
    for mod in MODULES:
        pm.add_hookspecs(importlib.import_module(f"kassa.hookspecs.{mod}"))
    for name in (os.environ.get("KASSA_DISABLE_PLUGINS") or "").split(","):
        if name.strip():
            pm.set_blocked(name.strip())
    if entry_points:
        _load_entry_points(pm)
    if builtins:
        for modname in DEFAULT_PLUGINS:
            if pm.get_plugin(modname) is None and not pm.is_blocked(modname):
                pm.register(importlib.import_module(modname), name=modname)
    for obj in extra:
        pm.register(obj)
    check(pm)
    return pm


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    only = os.environ.get("KASSA_LOAD_PLUGINS")
    if only is None:
        pm.load_setuptools_entrypoints(PROJECT)
        return
    wanted = {n.strip() for n in only.split(",") if n.strip()}
    for ep in metadata.entry_points(group=PROJECT):
        if ep.name in wanted and not pm.is_blocked(ep.name) and pm.get_plugin(ep.name) is None:
            dist = ep.dist
            pm.register(ep.load(), name=ep.name)
            if dist is not None:
                facade = pluggy._manager.DistFacade(dist)  # type: ignore[attr-defined]
                # pluggy's own entry-point loader stores DistFacade here too; its annotation lags
                pm._plugin_distinfo.append((pm.get_plugin(ep.name), facade))  # type: ignore[arg-type]


def check(pm: pluggy.PluginManager) -> None:
    """Fail loudly, naming the plugin, when an implementation matches no hook."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or exc.plugin
        raise UserError(f"plugin {name!r}: {exc}") from exc


_default: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide facade (built on first use)."""
    global _default
    if _default is None:
        _default = Plugins(new_manager())
    return _default


def set_plugins(plugins: Plugins | None) -> None:
    """Replace the process-wide facade (tests)."""
    global _default
    _default = plugins


__all__ = [
    "DEFAULT_PLUGINS",
    "Plugins",
    "await_me_maybe",
    "get_plugins",
    "new_manager",
    "set_plugins",
]
