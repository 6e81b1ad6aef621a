"""THE contract between the core and plugins: one module per concern.

Each hook is a function with a docstring that says when it is called, with what, and what it
returns. Components returned by ``register_*`` hooks are ``typing.Protocol`` classes declared
beside their hook. Implementations may accept any subset of a hook's arguments and may be
``async def`` (the core awaits what comes back) unless the hook's docstring says "Sync only":
those are called where nothing can await, and an ``async def`` there fails load. Every
component a ``register_*`` hook returns is checked against its Protocol at load, per plugin
(``kassa.plugins.check_component``); a missing member, or a plain ``def`` where the Protocol
has ``async def`` (or the reverse), fails start with one sentence naming plugin and component.
"""

from __future__ import annotations

import pluggy

from kassa import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)

MODULES = ("app", "events", "notify", "reports", "payments", "loyalty", "fiscal", "devices",
           "retail", "exchange")

__all__ = ["MODULES", "hookspec"]
