"""THE contract between the core and plugins: one module per concern.

Each hook is a function with a docstring that says when it is called, with what, and what it
returns. Components returned by ``register_*`` hooks are ``typing.Protocol`` classes declared
beside their hook. Implementations may accept any subset of a hook's arguments and may be
``async def``; the core awaits what comes back.
"""

from __future__ import annotations

import pluggy

from kassa import PROJECT

hookspec = pluggy.HookspecMarker(PROJECT)

MODULES = ("app", "events", "notify", "reports", "payments", "loyalty", "fiscal", "devices")

__all__ = ["MODULES", "hookspec"]
