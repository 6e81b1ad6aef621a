"""A typed facade over pluggy: one method per hook. Nothing else calls ``pm.hook.x``.

Plugins are found through the ``kassa`` entry-point group. Built-in behaviour is registered as
ordinary plugins from ``DEFAULT_PLUGINS``. ``KASSA_LOAD_PLUGINS=a,b`` loads only the named
entry points (empty: none); ``KASSA_DISABLE_PLUGINS=a,b`` blocks some.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from kassa.conformance import (
    check_component,
    component_problems,
    concern_protocols,
    plugin_label,
    protocol_members,
    protocols_for,
)
from kassa.errors import ConfigError, UserError
from kassa.plugin_manager import DEFAULT_PLUGINS, new_manager

if TYPE_CHECKING:
    import click

    from kassa.hookspecs.app import Console, ConsolePanel, Demo, HubAPI, Simulator
    from kassa.hookspecs.devices import Device
    from kassa.hookspecs.events import EventSource
    from kassa.hookspecs.exchange import ExchangeFormat
    from kassa.hookspecs.fiscal import FiscalDevice
    from kassa.hookspecs.loyalty import LoyaltyProgram
    from kassa.hookspecs.notify import Channel, ChatCommand
    from kassa.hookspecs.payments import AccountPayment, CardTerminal
    from kassa.hookspecs.reports import ReportDefinition
    from kassa.hookspecs.retail import TillCondition
    from kassa.model import ChatRef, Event, Message

T = TypeVar("T")
log = logging.getLogger("kassa.plugins")


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


def _sync_result(hook: str, plugin: str, value: Any) -> Any:
    """A sync-only hook's result; a coroutine (a plain def returning one) is refused."""
    if inspect.isawaitable(value):
        close = getattr(value, "close", None)
        if close is not None:
            close()  # no "never awaited" warning on top of the real error
        raise UserError(f"plugin {plugin!r}: {hook} must return its result, not an awaitable "
                        "(this hook is called where nothing can await)")
    return value


class Plugins:
    """Typed calls over one ``pluggy.PluginManager``.

    ``register_*`` hooks are called one implementation at a time, so each returned component
    is checked against its Protocol (``check_component``) knowing which plugin returned it.
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._format_failures: set[tuple[str, str]] = set()
        self._seen: dict[str, set[type]] = {}  # hook -> component classes checked once

    def _impls(self, hook: str) -> list[Any]:
        """The hook's implementations in pluggy's call order (last registered first)."""
        caller = getattr(self.pm.hook, hook, None)
        if caller is None:
            return []
        return [i for i in reversed(caller.get_hookimpls())
                if not (getattr(i, "hookwrapper", False) or getattr(i, "wrapper", False))]

    def _sync(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, result) for a sync-only hook, None results dropped."""
        out = []
        for impl in self._impls(hook):
            res = _call(impl.function, **kwargs)
            if res is None:
                continue
            label = plugin_label(impl)
            out.append((label, _sync_result(hook, label, res)))
        return out

    async def _components(self, hook: str, **kwargs: Any) -> list[Any]:
        """Every component the hook's implementations return (awaited), each checked."""
        out: list[Any] = []
        for impl in self._impls(hook):
            try:
                res = await await_me_maybe(_call(impl.function, **kwargs))
            except ConfigError:
                raise  # names its key path already
            except UserError as exc:
                raise UserError(f"plugin {plugin_label(impl)!r}: {exc}") from exc
            except Exception as exc:  # a bug: start fails, saying whose
                raise UserError(f"plugin {plugin_label(impl)!r}: {hook} failed: "
                                f"{type(exc).__name__}: {exc}") from exc
            for comp in _flatten([res]):
                check_component(comp, protocols_for(hook, comp), plugin_label(impl), hook)
                out.append(comp)
        return out

    def _sync_components(self, hook: str, **kwargs: Any) -> list[Any]:
        """A sync hook's components. Dispatch is pluggy's own call; the checks run when a
        component's class was not seen before (at start): then every implementation is
        called apart, so a wrong shape or an awaitable names the plugin that returned it."""
        seen = self._seen.get(hook)
        if seen is not None:
            caller = getattr(self.pm.hook, hook)
            res = caller(**kwargs)
            # a firstresult hook (register_console) answers one value, not a list of them
            firstresult = caller.spec is not None and caller.spec.opts.get("firstresult")
            out = _flatten([res] if firstresult else res)
            if seen.issuperset(map(type, out)):
                return out
        return self._checked_components(hook, **kwargs)

    def _checked_components(self, hook: str, **kwargs: Any) -> list[Any]:
        protocols = concern_protocols(hook)
        out: list[Any] = []
        for plugin, res in self._sync(hook, **kwargs):
            for comp in _flatten([res]):
                check_component(comp, protocols, plugin, hook)
                out.append(comp)
        # a class is checked once: its instances share its methods, and its attributes are
        # set by its __init__ (one that sets a Protocol member only sometimes is not caught)
        self._seen.setdefault(hook, set()).update(type(c) for c in out)
        return out

    # --- app -------------------------------------------------------------------------------
    def settings_sections(self) -> dict[str, type]:
        sections: dict[str, type] = {}
        for plugin, res in self._sync("register_settings"):
            if not isinstance(res, Mapping):
                raise UserError(f"plugin {plugin!r}: register_settings must return "
                                f"{{section: attrs class}}, not {type(res).__name__}")
            for name, cls in res.items():
                sections[name] = cls
        return sections

    def channel_names(self) -> set[str]:
        """Channel names the installed plugins provide, known without instantiating any: by
        convention a plugin implementing ``register_channels`` names its channel after its
        top-level settings section (``[telegram]`` -> channel ``"telegram"``)."""
        providers = {i.plugin_name for i in self._impls("register_channels")}
        return {name for plugin, res in self._sync("register_settings") if plugin in providers
                and isinstance(res, Mapping) for name in res if "." not in name}

    def migrations(self) -> dict[str, Path]:
        """Every plugin's alembic versions folder (``register_migrations``), by branch name."""
        out: dict[str, Path] = {}
        for impl in reversed(self.pm.hook.register_migrations.get_hookimpls()):
            res = impl.function()
            if res is None:
                continue
            if not isinstance(res, Mapping):
                raise UserError(f"plugin {impl.plugin_name!r}: register_migrations must return"
                                f" {{plugin name: versions folder}}, not {type(res).__name__}")
            for name, folder in res.items():
                if name in out:
                    raise UserError(f"plugin {impl.plugin_name!r}: migrations named {name!r}"
                                    " are registered twice")
                out[name] = Path(folder)
        return out

    async def on_startup(self, hub: HubAPI) -> None:
        """Each plugin's in turn. A ``UserError`` (a person's mistake, e.g. in its config)
        fails start with the plugin's name; any other failure is logged and the hub starts
        without whatever that plugin meant to set up."""
        for impl in self._impls("on_startup"):
            try:
                await await_me_maybe(_call(impl.function, hub=hub))
            except ConfigError:
                raise  # names its key path already
            except UserError as exc:
                raise UserError(f"plugin {plugin_label(impl)!r}: {exc}") from exc
            except Exception:
                log.exception("on_startup of plugin %r failed; the hub goes on without it",
                              plugin_label(impl))

    async def on_shutdown(self, hub: HubAPI) -> None:
        """Each plugin's in turn; one that fails is logged and the others still run."""
        for impl in self._impls("on_shutdown"):
            try:
                await await_me_maybe(_call(impl.function, hub=hub))
            except Exception:
                log.exception("on_shutdown of plugin %r failed", plugin_label(impl))

    def register_cli_commands(self, cli: click.Group) -> None:
        self._sync("register_cli_commands", cli=cli)

    def cli_commands(self, failed: list[tuple[str, Exception]] | None = None
                     ) -> list[tuple[str, Any, click.Command]]:
        """(plugin name, plugin object, command) for each command ``register_cli_commands``
        adds, every plugin into a group of its own: the CLI's index of lazy commands. With
        ``failed``, a plugin whose hook raises is appended there (name, error) and the others'
        commands are still answered; without it the error propagates."""
        import click

        out: list[tuple[str, Any, click.Command]] = []
        for impl in self._impls("register_cli_commands"):
            group = click.Group()
            try:
                _sync_result("register_cli_commands", impl.plugin_name,
                             _call(impl.function, cli=group))
            except Exception as exc:
                if failed is None:
                    raise
                failed.append((impl.plugin_name, exc))
                continue
            out.extend((impl.plugin_name, impl.plugin, cmd) for cmd in group.commands.values())
        return out

    async def routes(self, hub: HubAPI) -> list[Any]:
        return _flatten([await await_me_maybe(r) for r in self.pm.hook.register_routes(hub=hub)])

    def console_panels(self) -> list[ConsolePanel]:
        return self._sync_components("register_console_panels")

    def console(self) -> Console | None:
        """The operator console a plugin (``kassa-console``) provides; the first one wins."""
        found: list[Console] = self._sync_components("register_console")
        return found[0] if found else None

    def texts(self) -> list[tuple[str, Any]]:
        """(plugin, {locale: {key: text}}) from ``register_texts``, in registration order."""
        return list(reversed(self._sync("register_texts")))

    def demos(self) -> list[Demo]:
        """The named demos (``kassa demo --<name>``) the plugins offer."""
        return self._sync_components("register_demos")

    async def simulators(self, settings: Any) -> list[Simulator]:
        return await self._components("register_simulators", settings=settings)

    # --- events ----------------------------------------------------------------------------
    async def sources(self, hub: HubAPI) -> list[EventSource]:
        return await self._components("register_sources", hub=hub)

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

    def event_kinds(self) -> list[tuple[str, Any]]:
        """(plugin, EventKindSpec) for every declared kind, plugins in registration order."""
        return [(plugin, spec) for plugin, res in reversed(self._sync("register_event_kinds"))
                for spec in _flatten([res])]

    # --- notify ----------------------------------------------------------------------------
    async def channels(self, hub: HubAPI) -> list[Channel]:
        return await self._components("register_channels", hub=hub)

    def format_message(self, event: Event, chat: ChatRef, locale: str,
                       hub: HubAPI | None = None) -> Message | None:
        """The first implementation's Message (firstresult). One that raises, or returns an
        awaitable, is skipped for the next (finally the core's default), logged once per
        plugin and kind of failure: a formatter's bug must not keep an event out of the
        log (this runs inside the event log's transaction)."""
        for impl in self._impls("format_message"):
            try:
                result = _call(impl.function, event=event, chat=chat, locale=locale, hub=hub)
                if result is not None:
                    _sync_result("format_message", plugin_label(impl), result)
                    return result  # type: ignore[no-any-return]
            except Exception as exc:
                self._format_failed(impl, exc, event)
        return None

    def _format_failed(self, impl: Any, exc: Exception, event: Event) -> None:
        key = (plugin_label(impl), type(exc).__name__)
        if key in self._format_failures:
            return
        self._format_failures.add(key)
        log.error("format_message of plugin %r failed for a %s event (%s); the next "
                  "formatter is used (logged once)", key[0], event.kind,
                  f"{type(exc).__name__}: {exc}", exc_info=exc)

    def commands(self) -> dict[str, ChatCommand]:
        seen = self._seen.get("register_commands")
        if seen is None:
            return self._checked_commands()
        out: dict[str, ChatCommand] = {}  # checked at start: now pluggy's call, no checks
        for res in reversed(self.pm.hook.register_commands()):
            for cmd in reversed(res) if isinstance(res, (list, tuple)) else (res,):
                if type(cmd) not in seen:
                    return self._checked_commands()  # new: check it, naming its plugin
                out[cmd.name] = cmd
        return out

    def _checked_commands(self) -> dict[str, ChatCommand]:
        # call order is last registered first; go the other way so later plugins win
        return {cmd.name: cmd for cmd in reversed(self._sync_components("register_commands"))}

    # --- reports, money, fiscal, devices ---------------------------------------------------
    def reports(self) -> dict[str, ReportDefinition]:
        out: dict[str, ReportDefinition] = {}
        for rep in reversed(self._sync_components("register_reports")):
            if rep.name in out:
                raise UserError(f"two plugins register a report named {rep.name!r}")
            out[rep.name] = rep
        return out

    async def payment_methods(self, hub: HubAPI) -> list[AccountPayment | CardTerminal]:
        return await self._components("register_payment_methods", hub=hub)

    async def loyalty_programs(self, hub: HubAPI) -> list[LoyaltyProgram]:
        return await self._components("register_loyalty_programs", hub=hub)

    async def fiscal_devices(self, hub: HubAPI) -> list[FiscalDevice]:
        return await self._components("register_fiscal_devices", hub=hub)

    async def devices(self, hub: HubAPI) -> list[Device]:
        return await self._components("register_devices", hub=hub)

    def device_claimers(self) -> list[tuple[str, Any]]:
        """(plugin, ``claim_device`` called with keywords) pairs: discovery asks each apart,
        so one that raises is reported and the others still answer."""
        return [(plugin_label(impl), functools.partial(_call, impl.function))
                for impl in self._impls("claim_device")]

    # --- retail ----------------------------------------------------------------------------
    def till_conditions(self) -> list[TillCondition]:
        """Extra message-rule conditions, each checked against ``TillCondition``."""
        return self._sync_components("register_till_conditions")

    # --- exchange --------------------------------------------------------------------------
    def exchange_formats(self) -> list[ExchangeFormat]:
        """Accounting file formats, each checked against ``ExchangeFormat``."""
        return self._sync_components("register_exchange_formats")

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
    "check_component",
    "component_problems",
    "get_plugins",
    "new_manager",
    "protocol_members",
    "set_plugins",
]
