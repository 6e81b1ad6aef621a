"""The till's report and shift screens, opened from the sale screen with (till, actor):

- ``XReportScreen``: the open shift's X figures (the engine's records; nothing printed);
- ``CashReportScreen``: what the drawer should hold and how it came to be; F2 puts cash in,
  F3 takes it out (a manager confirms when the cashier may not), the figures refresh after;
- ``ShiftScreen``: the shift's figures and its closing (F10 or Enter, a question, then the
  Z report on the register); with no shift open, opening one with a float.

Each dismisses with None; Esc closes. A refusal is the engine's sentence in ``#status``.
A ``RetryLater`` (register busy, paper out) keeps the operation: Enter tries the same one
again under the same key, so the register never does it twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import TYPE_CHECKING

from kassa.errors import RetryLater, UserError
from kassa.i18n import t
from kassa.model.money import format_money
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from kassa_pos.engine.rights import AccessDenied
from kassa_pos.till.ask import AskScreen
from kassa_pos.till.payment import parse_money, say

if TYPE_CHECKING:
    from kassa.model import FiscalDocument

    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.shift import XReport
    from kassa_pos.engine.till import Till

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; height: auto; max-height: 22; border: thick $accent; background: $surface;
    padding: 0 1;
}}
{name} #title {{ text-style: bold; }}
{name} #figures {{ height: auto; margin: 1 0 0 0; }}
{name} #status {{ height: auto; min-height: 1; margin: 1 0 0 0; }}
{name} #status.error {{ color: $error; }}
{name} #status.done {{ color: $success; text-style: bold; }}
{name} #keys {{ color: $text-muted; }}
"""


def rows(lines: list[tuple[str, str]]) -> str:
    """Label and value per line, the values lined up on the right."""
    width = max((len(label) for label, _ in lines), default=0)
    vwidth = max((len(value) for _, value in lines), default=0)
    return "\n".join(f"{label.ljust(width)}  {value.rjust(vwidth)}" for label, value in lines)


class _Report(ModalScreen[None]):
    """What the three screens share: the title, the figures, a status line, the keys, and
    the X figures loaded from the engine (``self.x``, None while there are none)."""

    BINDINGS = [Binding("escape", "leave", show=False, priority=True)]

    def __init__(self, till: Till, actor: Person) -> None:
        super().__init__()
        self.till, self.actor = till, actor
        self.locale = till.book.locale
        self.x: XReport | None = None
        self.busy = False  # an engine call runs: keys wait

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("", id="title")
            yield Static(t("pos.till.rep.loading", self.locale), id="figures")
            yield Static("", id="status")
            yield Static("", id="keys")

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="report")
    async def load(self) -> None:
        await self.reload()

    async def reload(self) -> None:
        """The figures again from the engine; a refusal (no shift, no right) is said."""
        try:
            self.x = await self.till.x_report(self.actor)
        except (UserError, RetryLater) as exc:
            self.x = None
            self.show_none(say(exc, self.locale))
            return
        self.show(self.x)

    def show(self, x: XReport) -> None:
        raise NotImplementedError

    def show_none(self, why: str) -> None:
        self.put("#title", "")
        self.put("#figures", "")
        self.status(why, "error")
        self.put("#keys", t("pos.till.rep.keys", self.locale))

    def put(self, selector: str, text: str) -> None:
        self.query_one(selector, Static).update(text)

    def status(self, text: str, cls: str = "") -> None:
        box = self.query_one("#status", Static)
        box.set_classes(cls)
        box.update(text)

    def money(self, kopecks: int) -> str:
        return format_money(kopecks, self.locale)

    def x_rows(self, x: XReport) -> list[tuple[str, str]]:
        """The X report's lines: who and when, sales, refunds, cash, the drawer, revenue."""
        loc = self.locale
        opened = x.opened_at if x.opened_at.tzinfo is not None \
            else x.opened_at.replace(tzinfo=UTC)  # SQLite hands the UTC time back naive
        local = opened.astimezone(self.till.book.tz).strftime("%d.%m.%Y %H:%M")
        lab = {k: t(f"pos.till.rep.{k}", loc) for k in (
            "fiscal_shift", "cashier", "opened_at", "sales", "sales_cash", "sales_non_cash",
            "refunds", "refunds_cash", "cash_in", "cash_out", "float", "drawer", "revenue")}
        return [
            (lab["fiscal_shift"], str(x.fiscal_shift) if x.fiscal_shift is not None else "—"),
            (lab["cashier"], x.cashier),
            (lab["opened_at"], local),
            (lab["sales"], t("pos.till.rep.count_sum", loc,
                             checks=t("pos.till.rep.checks", loc, count=x.sales),
                             amount=self.money(x.sales_total))),
            (lab["sales_cash"], self.money(x.sales_cash)),
            (lab["sales_non_cash"], self.money(x.sales_non_cash)),
            (lab["refunds"], t("pos.till.rep.count_sum", loc,
                               checks=t("pos.till.rep.checks", loc, count=x.refunds),
                               amount=self.money(x.refunds_total))),
            (lab["refunds_cash"], self.money(x.refunds_cash)),
            (lab["cash_in"], self.money(x.cash_in)),
            (lab["cash_out"], self.money(x.cash_out)),
            (lab["float"], self.money(x.float_)),
            (lab["drawer"], self.money(x.drawer)),
            (lab["revenue"], self.money(x.revenue)),
        ]

    def action_leave(self) -> None:
        if not self.busy:  # never leave an engine call halfway on screen
            self.dismiss(None)


class XReportScreen(_Report):
    DEFAULT_CSS = _CSS.format(name="XReportScreen")

    def show(self, x: XReport) -> None:
        self.put("#title", t("pos.till.rep.x_title", self.locale, shift=x.shift))
        self.put("#figures", rows(self.x_rows(x)))
        self.put("#keys", t("pos.till.rep.x_keys", self.locale))


class CashReportScreen(_Report):
    DEFAULT_CSS = _CSS.format(name="CashReportScreen")
    BINDINGS = [
        *_Report.BINDINGS,
        Binding("f2", "cash('in')", show=False, priority=True),
        Binding("f3", "cash('out')", show=False, priority=True),
        Binding("enter", "retry", show=False),
    ]

    def __init__(self, till: Till, actor: Person) -> None:
        super().__init__(till, actor)
        # (kind, amount, op_id, manager) of an operation the register could not do yet
        self.pending: tuple[str, int, str, Person | None] | None = None

    def show(self, x: XReport) -> None:
        loc = self.locale
        self.put("#title", t("pos.till.rep.cash_title", loc, shift=x.shift))
        self.put("#figures", rows([
            (t("pos.till.rep.float", loc), self.money(x.float_)),
            ("+ " + t("pos.till.rep.cash_sales", loc), self.money(x.sales_cash)),
            ("− " + t("pos.till.rep.cash_refunds", loc), self.money(x.refunds_cash)),
            ("+ " + t("pos.till.rep.cash_ins", loc), self.money(x.cash_in)),
            ("− " + t("pos.till.rep.cash_outs", loc), self.money(x.cash_out)),
            ("= " + t("pos.till.rep.in_drawer", loc), self.money(x.drawer)),
        ]))
        self.put("#keys", t("pos.till.rep.cash_keys", loc))

    def check_amount(self, answer: str) -> str | None:
        try:
            amount = parse_money(answer)
        except ValueError:
            return t("pos.till.pay.bad_amount", self.locale, text=answer)
        return t("pos.till.rep.no_amount", self.locale) if amount is None else None

    def action_cash(self, kind: str) -> None:
        if self.busy:
            return
        if self.pending is not None:
            self.status(t("pos.till.rep.pending", self.locale), "error")
            return
        loc = self.locale
        question = t("pos.till.rep.ask_cash_in", loc) if kind == "in" else \
            t("pos.till.rep.ask_cash_out", loc,
              drawer=self.money(self.x.drawer) if self.x is not None else "—")

        def asked(answer: str | None) -> None:
            amount = parse_money(answer) if answer else None
            if amount is not None:  # AskScreen's check let only an amount through
                self.cash(kind, amount, uuid.uuid4().hex, None)

        self.app.push_screen(AskScreen(question, check=self.check_amount), callback=asked)

    def action_retry(self) -> None:
        if self.pending is not None and not self.busy:
            self.cash(*self.pending)

    @work(exclusive=True, group="cash")
    async def cash(self, kind: str, amount: int, op_id: str, manager: Person | None) -> None:
        loc = self.locale
        self.busy = True
        try:
            if kind == "in":
                await self.till.cash_in(self.actor, amount, op_id=op_id)
            else:
                await self.till.cash_out(self.actor, amount, op_id=op_id, manager=manager)
        except AccessDenied as denied:
            self.pending = None
            if manager is None:
                self.confirm(amount, op_id, denied)
            else:
                self.status(say(denied, loc), "error")
            return
        except RetryLater as exc:  # not done or not known: Enter sends the same op_id again
            self.pending = (kind, amount, op_id, manager)
            self.status(t("pos.till.rep.retry", loc, reason=say(exc, loc).rstrip(".")),
                        "error")
            return
        except UserError as exc:
            self.pending = None
            self.status(say(exc, loc), "error")
            return
        finally:
            self.busy = False
        self.pending = None
        await self.reload()
        self.status(t(f"pos.till.rep.cash_{kind}_done", loc, amount=self.money(amount)),
                    "done")

    def confirm(self, amount: int, op_id: str, denied: AccessDenied) -> None:
        """A manager confirms the cash-out; it is tried again in the manager's name."""
        from kassa_pos.till.confirm import ConfirmScreen

        loc = self.locale

        def confirmed(manager: Person | None) -> None:
            if manager is None:
                self.status(say(denied, loc), "error")
            else:
                self.cash("out", amount, op_id, manager)

        why = f"{t('pos.till.rep.act_cash_out', loc, amount=self.money(amount))}: " \
              f"{say(denied, loc)}"
        self.app.push_screen(ConfirmScreen(self.till, why, actor=self.actor),
                             callback=confirmed)


class ShiftScreen(_Report):
    DEFAULT_CSS = _CSS.format(name="ShiftScreen")
    BINDINGS = [
        *_Report.BINDINGS,
        Binding("f10", "go", show=False, priority=True),
        Binding("enter", "go", show=False),
    ]

    def __init__(self, till: Till, actor: Person) -> None:
        super().__init__(till, actor)
        self.shift_open: bool | None = None  # None until known
        self.z: FiscalDocument | None = None  # the Z report, once the shift is closed

    async def reload(self) -> None:
        till = self.till
        try:
            self.shift_open = await till.shifts.current(till.site, till.name) is not None
        except (UserError, RetryLater) as exc:
            self.status(say(exc, self.locale), "error")
            return
        if self.shift_open:
            await super().reload()
        else:
            self.show_closed()

    def show(self, x: XReport) -> None:
        self.put("#title", t("pos.till.rep.shift_title", self.locale, shift=x.shift))
        self.put("#figures", rows(self.x_rows(x)))
        self.put("#keys", t("pos.till.rep.shift_keys", self.locale))

    def show_closed(self) -> None:
        self.put("#title", t("pos.till.rep.shift_none", self.locale))
        self.put("#figures", "")
        self.put("#keys", t("pos.till.rep.open_keys", self.locale))

    def action_go(self) -> None:
        if self.busy or self.shift_open is None:
            return
        if self.z is not None:
            self.dismiss(None)
        elif self.shift_open:
            self.ask_close()
        else:
            self.ask_float()

    def ask_close(self) -> None:
        loc = self.locale
        yes, no = t("pos.till.rep.yes", loc).split("|"), t("pos.till.rep.no", loc).split("|")

        def check(answer: str) -> str | None:
            word = answer.lower()
            return None if word in ("", *yes, *no) else t("pos.till.rep.yes_no", loc)

        def asked(answer: str | None) -> None:
            if answer is not None and answer.lower() not in no:
                self.close_shift()

        self.app.push_screen(AskScreen(t("pos.till.rep.ask_close", loc), check=check),
                             callback=asked)

    @work(exclusive=True, group="shift")
    async def close_shift(self) -> None:
        loc = self.locale
        self.busy = True
        self.status(t("pos.till.rep.closing", loc))
        try:
            x, doc = await self.till.close_shift(self.actor)
        except (UserError, RetryLater) as exc:
            self.status(say(exc, loc), "error")
            return
        finally:
            self.busy = False
        self.z, self.x, self.shift_open = doc, x, False
        self.put("#title", t("pos.till.rep.z_title", loc, shift=x.shift))
        self.put("#figures", rows(self.x_rows(x)))
        self.status(t("pos.till.rep.closed", loc, shift=x.shift,
                      fd=doc.number if doc.number is not None else "—"), "done")
        self.put("#keys", t("pos.till.rep.close", loc))

    def ask_float(self) -> None:
        loc = self.locale

        def check(answer: str) -> str | None:
            try:
                parse_money(answer or "0", zero=True)
            except ValueError:
                return t("pos.till.pay.bad_amount", loc, text=answer)
            return None

        def asked(answer: str | None) -> None:
            if answer is not None:
                self.open_shift(parse_money(answer or "0", zero=True) or 0)

        self.app.push_screen(AskScreen(t("pos.till.rep.ask_float", loc), value="0",
                                       check=check), callback=asked)

    @work(exclusive=True, group="shift")
    async def open_shift(self, float_: int) -> None:
        loc = self.locale
        self.busy = True
        try:
            await self.till.open_shift(self.actor, float_=float_)
        except (UserError, RetryLater) as exc:
            self.status(say(exc, loc), "error")
            return
        finally:
            self.busy = False
        await self.reload()
        self.status(t("pos.till.rep.opened", loc, amount=self.money(float_)), "done")


__all__ = ["CashReportScreen", "ShiftScreen", "XReportScreen"]
