"""The pluggy manager Kassa's plugins are registered on: the hookspecs, the built-ins
(``DEFAULT_PLUGINS``), the ``kassa`` entry points (``KASSA_LOAD_PLUGINS`` /
``KASSA_DISABLE_PLUGINS``), checked at once (``conformance.check``)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import pluggy

from kassa import PROJECT
from kassa.conformance import check
from kassa.hookspecs import MODULES

DEFAULT_PLUGINS = (
    "kassa.notify_default",
    "kassa.commands_builtin",
    "kassa.reports.builtin",
    "kassa.kinds_builtin",
    "kassa.fiscal_ops.plugin",
)


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
