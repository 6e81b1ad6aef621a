"""Price tags and barcode labels as PDF (issue #16, back office).

``layout`` is the sheet geometry (A4 grids, label-printer rolls), ``draw`` draws tags and
labels with reportlab (vector EAN-13 / EAN-8 / Code128, DejaVu Sans embedded), ``select``
chooses the items (a list of codes or barcodes, prices changed since a date or since the last
printed batch) and keeps the record of what was printed. Nothing here touches a device: the
PDF is a file a person prints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kassa_pos.labels.draw import Kind, LabelError, Sheet, Tag, render
    from kassa_pos.labels.layout import Layout, LayoutError
    from kassa_pos.labels.select import (
        Ledger,
        changed_since,
        changed_since_printed,
        pick,
        tags_for,
    )

# where each name lives: imported on first use, since reportlab takes ~0.5 s to import and
# `kassa pos` builds this package's command on every start of the CLI
_HOME = {"Layout": "layout", "LayoutError": "layout", "Kind": "draw",
         "LabelError": "draw", "Sheet": "draw", "Tag": "draw", "render": "draw",
         "Ledger": "select", "changed_since": "select", "changed_since_printed": "select",
         "pick": "select", "tags_for": "select"}

__all__ = ["Kind", "LabelError", "Layout", "LayoutError", "Ledger", "Sheet", "Tag",
           "changed_since", "changed_since_printed", "needs_extra", "pick", "render",
           "tags_for"]

_EXTRA = {"ru": "ценники печатает kassa-pos с дополнением labels: "
                "pip install 'kassa-pos[labels]' (нет модуля {module})",
          "en": "price tags need kassa-pos's labels extra: "
                "pip install 'kassa-pos[labels]' (no module {module})"}


def needs_extra(module: str | None, locale: str = "ru") -> str:
    """The sentence for a missing module of the labels extra (reportlab, matplotlib)."""
    return _EXTRA.get(locale, _EXTRA["ru"]).format(module=module)


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
