"""Kassa: a plugin framework for restaurant and retail chain integrations.

Plugins import from here: ``from kassa import hookimpl``.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

PROJECT = "kassa"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "__version__", "hookimpl"]
