"""The active check as the cashier sees it: its lines (number, item with its discount,
quantity, price, amount; voided lines struck through), the totals and the guest with the
bonus to earn and spend. ``show(check)`` redraws it; ``selected_line()`` is the line number
under the cursor (what a void or a price change acts on)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from kassa.i18n import t
from kassa.model.money import format_money
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from kassa_pos.engine.client import mask

if TYPE_CHECKING:
    from kassa_pos.engine.check import Check


def qty_text(q: Decimal) -> str:
    text = f"{q.normalize():f}" if q == q.to_integral_value() else f"{q:.3f}"
    return text.replace(".", ",")


class CheckView(Vertical):
    DEFAULT_CSS = """
    CheckView { height: 1fr; }
    CheckView #lines { height: 1fr; }
    CheckView #totals { height: 1; text-style: bold; }
    CheckView #guest { height: auto; color: $success; }
    """

    def __init__(self, locale: str) -> None:
        super().__init__()
        self.locale = locale

    def compose(self) -> ComposeResult:
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        yield Static("", id="totals")
        yield Static("", id="guest")

    def on_mount(self) -> None:
        loc = self.locale
        self.query_one("#lines", DataTable).add_columns(
            "№", t("pos.till.col.name", loc), t("pos.till.col.qty", loc),
            t("pos.till.col.price", loc), t("pos.till.col.amount", loc))

    def show(self, check: Check | None) -> None:
        loc = self.locale
        table = self.query_one("#lines", DataTable)
        table.clear()
        totals, guest_text = "", ""
        if check is not None:
            prices = check.pricing.lines
            for ln in check.lines:
                if ln.voided:
                    cells = [str(ln.no), f"[strike]{ln.name}[/strike]", qty_text(ln.quantity),
                             format_money(ln.price, loc), t("pos.till.voided", loc)]
                else:
                    p = prices.get(ln.no)
                    amount = p.amount if p is not None else ln.base
                    name = ln.name if p is None or not p.discount else \
                        f"{ln.name} (−{format_money(p.discount, loc)})"
                    cells = [str(ln.no), name, qty_text(ln.quantity),
                             format_money(ln.price, loc), format_money(amount, loc)]
                table.add_row(*cells, key=str(ln.no))
            if check.lines:
                table.move_cursor(row=len(check.lines) - 1)
            totals = t("pos.till.total", loc, total=format_money(check.total, loc),
                       count=len(check.live))
            if check.discount:
                totals += "   " + t("pos.till.discount", loc,
                                    amount=format_money(check.discount, loc))
            guest_text = self._guest(check)
        self.query_one("#totals", Static).update(totals)
        self.query_one("#guest", Static).update(guest_text)

    def _guest(self, check: Check) -> str:
        loc, guest = self.locale, check.guest
        if guest is None:
            return ""
        text = t("pos.till.guest", loc, name=guest.name or "—",
                 card=mask(check.identifier.value) if check.identifier else "")
        if check.pricing.bonus_earn or check.pricing.bonus_spend_max:
            text += " · " + t("pos.till.bonus", loc,
                              earn=format_money(check.pricing.bonus_earn, loc),
                              spend=format_money(check.pricing.bonus_spend_max, loc))
        return text

    def selected_line(self) -> int | None:
        table = self.query_one("#lines", DataTable)
        if table.row_count == 0:
            return None
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return int(str(row.value)) if row.value is not None else None
