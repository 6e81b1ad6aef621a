"""Keep a DataTable in step with fresh data without losing the cursor (rows keyed by id)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist


def sync_rows(table: DataTable[object], rows: Mapping[str, Sequence[object]]) -> None:
    """Update changed cells, add new rows, drop rows that are gone; order follows ``rows``."""
    columns = list(table.columns)
    for gone in [k for k in table.rows if k.value not in rows]:
        table.remove_row(gone)
    for key, values in rows.items():
        try:
            table.get_row_index(key)
        except RowDoesNotExist:
            table.add_row(*values, key=key)
            continue
        for col, value in zip(columns, values, strict=False):
            table.update_cell(key, col, value, update_width=True)
