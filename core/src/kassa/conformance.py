"""Does a component fit its Protocol? Checked at load, per plugin, so a wrong shape fails
start with one sentence instead of an ``AttributeError`` hours later.

The members are read from the Protocol itself (annotations, methods, whether each method is
``async def``), so the check follows the hookspecs as they change.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Sequence
from typing import Any

import pluggy

from kassa.errors import UserError

# hook -> (hookspecs module, the Protocol(s) a returned component must satisfy). Names, not
# classes: the Protocols are looked up when checked, so widening or renaming one there keeps
# this table right (a Protocol not (yet) declared is skipped).
CONCERNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "register_sources": ("events", ("EventSource",)),
    "register_channels": ("notify", ("Channel",)),
    "register_commands": ("notify", ("ChatCommand",)),
    "register_reports": ("reports", ("ReportDefinition",)),
    "register_payment_methods": ("payments", ("AccountPayment", "CardTerminal",
                                              "PaymentMethod")),
    "register_loyalty_programs": ("loyalty", ("LoyaltyProgram",)),
    "register_fiscal_devices": ("fiscal", ("FiscalDevice",)),
    "register_devices": ("devices", ("Device",)),
    "register_simulators": ("app", ("Simulator",)),
    "register_demos": ("app", ("Demo",)),
    "register_console_panels": ("app", ("ConsolePanel",)),
    "register_console": ("app", ("Console",)),
    "register_till_conditions": ("retail", ("TillCondition",)),
    "register_exchange_formats": ("exchange", ("ExchangeFormat",)),
}

# Hooks called where nothing can await (config load, CLI build, the event log's transaction):
# an ``async def`` implementation is refused at load instead of yielding a coroutine object.
SYNC_ONLY = ("register_settings", "register_cli_commands", "register_commands",
             "register_reports", "register_console_panels", "format_message",
             "register_event_kinds", "register_migrations", "register_console",
             "register_texts", "register_till_conditions", "register_exchange_formats",
             "register_demos")

_NOT_MEMBERS = frozenset({"__init__", "__new__", "__init_subclass__", "__subclasshook__",
                          "__class_getitem__", "__slots__", "__weakref__", "__dict__",
                          "__module__", "__doc__", "__qualname__", "__annotations__",
                          "__parameters__", "__orig_bases__", "__abstractmethods__",
                          "__protocol_attrs__", "__non_callable_proto_members__",
                          "__callable_proto_members_only__", "__static_attributes__",
                          "__firstlineno__", "__type_params__", "__annotate__",
                          "__annotate_func__", "__annotations_cache__"})


@functools.cache  # Protocols are classes, fixed once imported; reports() asks per request
def protocol_members(protocol: type) -> dict[str, str]:
    """``{member: "async" | "method" | "attribute"}`` a Protocol declares, bases included."""
    out: dict[str, str] = {}
    for base in reversed(protocol.__mro__):
        if base is object or not getattr(base, "_is_protocol", False) or \
                base.__module__ in ("typing", "typing_extensions"):
            continue
        for name in inspect.get_annotations(base):
            if not name.startswith("_"):
                out.setdefault(name, "attribute")
        for name, value in base.__dict__.items():
            if name in _NOT_MEMBERS or name.startswith("_abc") or \
                    (name.startswith("_") and not name.startswith("__")):
                continue
            if isinstance(value, (staticmethod, classmethod)):
                value = value.__func__
            if isinstance(value, property):
                out[name] = "attribute"
            elif inspect.iscoroutinefunction(value):
                out[name] = "async"
            elif callable(value):
                out[name] = "method"
    return out


def component_problems(obj: Any, protocol: type) -> list[str]:
    """What keeps ``obj`` from being a ``protocol``: missing members, a plain ``def`` where
    ``async def`` is required, ``async def`` where a plain call is (empty: it fits)."""
    problems: list[str] = []
    missing: list[str] = []
    for name, how in protocol_members(protocol).items():
        try:
            value = getattr(obj, name)
        except AttributeError:
            missing.append(name)
            continue
        except Exception:  # a property that fails before start: not a shape error
            continue
        if how == "attribute":
            continue
        if not callable(value):
            problems.append(f"{name} is not a method")
        elif how == "async" and not inspect.iscoroutinefunction(value):
            problems.append(f"{name} must be 'async def'")
        elif how == "method" and inspect.iscoroutinefunction(value):
            problems.append(f"{name} must be a plain 'def', not 'async def'")
    if missing:
        problems.insert(0, "missing " + ", ".join(missing))
    return problems


_PASSED: set[tuple[type, tuple[type, ...], frozenset[str]]] = set()


def check_component(obj: Any, protocol: type | Sequence[type], plugin: str,
                    hook: str = "") -> None:
    """Raise ``UserError`` (one sentence: the plugin, the component, what is wrong) unless
    ``obj`` satisfies ``protocol`` (or one of several)."""
    protocols = [protocol] if isinstance(protocol, type) else list(protocol)
    # a shape that passed once passes again: registries are rebuilt per call (commands at
    # each router, reports per request) and must cost what pluggy's own call costs
    shape = (type(obj), tuple(protocols), frozenset(getattr(obj, "__dict__", ())))
    if shape in _PASSED:
        return
    verdicts = [(p, component_problems(obj, p)) for p in protocols]
    if not protocols or any(not problems for _, problems in verdicts):
        if len(_PASSED) < 4096:
            _PASSED.add(shape)
        return
    name = getattr(obj, "name", None)
    what = f"{name!r} ({type(obj).__name__})" if isinstance(name, str) else type(obj).__name__
    via = f" from {hook}" if hook else ""
    reasons = " nor ".join(f"{_article(p.__name__)} {p.__name__} ({'; '.join(problems)})"
                           for p, problems in verdicts)
    lead = "is not" if len(verdicts) == 1 else "is neither"
    raise UserError(f"plugin {plugin!r}: component {what}{via} {lead} {reasons}")


# a device's ``kind`` -> the typed Protocol in hookspecs.devices it must then satisfy (a kind
# not listed, a third party's own, is checked as a plain Device)
DEVICE_KINDS = {"printer": "Printer", "scale": "Scale", "scanner": "Scanner",
                "terminal": "Terminal", "video": "VideoSink"}


def protocols_for(hook: str, component: Any) -> list[type]:
    """``concern_protocols(hook)``, narrowed for a device to its kind's typed Protocol."""
    if hook == "register_devices":
        typed = DEVICE_KINDS.get(str(getattr(component, "kind", "")))
        mod = importlib.import_module("kassa.hookspecs.devices")
        proto = getattr(mod, typed, None) if typed else None
        if isinstance(proto, type):
            return [proto]
    return concern_protocols(hook)


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"


def concern_protocols(hook: str) -> list[type]:
    """The Protocols ``hook``'s components must satisfy (see ``CONCERNS``)."""
    return list(_concern_protocols(hook))


@functools.lru_cache(maxsize=64)
def _concern_protocols(hook: str) -> tuple[type, ...]:
    if hook not in CONCERNS:
        return ()
    module, names = CONCERNS[hook]
    mod = importlib.import_module(f"kassa.hookspecs.{module}")
    found = [getattr(mod, n, None) for n in names]
    protocols: list[type] = []
    for p in found:  # an alias (the old PaymentMethod name) counts once
        if isinstance(p, type) and p not in protocols:
            protocols.append(p)
    if len(protocols) > 1:  # the old name once the split exists: either new one will do
        protocols = [p for p in protocols if p.__name__ != "PaymentMethod"]
    return tuple(protocols)


def plugin_label(impl: Any) -> str:
    """A hookimpl's plugin as people know it: its registered name, or (for an object
    registered without one, which pluggy names by ``id``) its class or module name."""
    name = str(impl.plugin_name)
    if name.isdigit():
        plugin = impl.plugin
        return str(getattr(plugin, "__name__", None) or type(plugin).__name__)
    return name


def check(pm: pluggy.PluginManager) -> None:
    """Fail loudly, naming the plugin, when an implementation matches no hook, or when a
    sync-only hook is implemented with ``async def``."""
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        name = pm.get_name(exc.plugin) or exc.plugin
        raise UserError(f"plugin {name!r}: {exc}") from exc
    for hook in SYNC_ONLY:
        caller = getattr(pm.hook, hook, None)
        for impl in caller.get_hookimpls() if caller is not None else ():
            if inspect.iscoroutinefunction(impl.function):
                raise UserError(f"plugin {plugin_label(impl)!r}: {hook} must be a plain 'def', "
                                "not 'async def' (it is called where nothing can await)")


__all__ = ["CONCERNS", "DEVICE_KINDS", "SYNC_ONLY", "check", "check_component",
           "component_problems", "concern_protocols", "plugin_label", "protocol_members",
           "protocols_for"]
