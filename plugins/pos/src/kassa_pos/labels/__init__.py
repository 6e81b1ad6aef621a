"""Price tags and barcode labels as PDF (issue #16, back office).

``layout`` is the sheet geometry (A4 grids, label-printer rolls), ``render`` draws tags and
labels with reportlab (vector EAN-13 / EAN-8 / Code128, DejaVu Sans embedded), ``select``
chooses the items (a list of codes or barcodes, prices changed since a date or since the last
printed batch) and keeps the record of what was printed. Nothing here touches a device: the
PDF is a file a person prints.
"""

from __future__ import annotations

from kassa_pos.labels.layout import Layout, LayoutError
from kassa_pos.labels.render import Kind, LabelError, Sheet, Tag, render
from kassa_pos.labels.select import Ledger, changed_since, changed_since_printed, pick, tags_for

__all__ = ["Kind", "LabelError", "Layout", "LayoutError", "Ledger", "Sheet", "Tag",
           "changed_since", "changed_since_printed", "pick", "render", "tags_for"]
