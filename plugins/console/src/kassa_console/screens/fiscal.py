"""Fiscal: every register's shift and its age, FN, OFD backlog, paper and last document (its
QR), and the register actions (open shift, X, Z, cash in/out, correction receipt), each after a
confirmation.
Actions go to the hub's ``/api/fiscal`` routes, so through ``hub.fiscal`` and its journal."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from kassa.api.client import ApiError, HubUnavailable
from kassa.fiscal_ops.client import FiscalClient, new_key
from kassa.fiscal_ops.render import document_line, document_lines, qr_art
from kassa.fiscal_ops.texts import say
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from kassa_console.screens.base import ConsoleScreen, run_async
from kassa_console.widgets.table import sync_rows

COLUMNS = ("site", "register", "shift", "fn", "ofd", "paper", "last")
TEXTS = {
    "ru": {"site": "Точка", "register": "Касса", "shift": "Смена", "fn": "ФН",
           "ofd": "ОФД", "paper": "Бумага", "last": "Последний документ",
           "closed": "закрыта", "expired": "№{n} > 24 ч!", "open": "№{n} · {h} ч",
           "down": "не отвечает", "yes": "есть", "no": "НЕТ", "sent": "всё передано",
           "unsent": "{n} · {h} ч", "confirm": "Выполнить: {what} на кассе «{register}» "
           "(точка {site})?", "amount": "Сумма, ₽", "ok": "Выполнить", "cancel": "Отмена",
           "pick": "Выберите кассу", "none": "Касс нет: подключите плагин кассы",
           "open-shift": "открыть смену", "close-shift": "закрыть смену (Z-отчёт)",
           "x-report": "X-отчёт", "cash-in": "внесение", "cash-out": "выплата",
           "correction": "чек коррекции",
           "f.operation": "Признак расчёта", "f.type": "Тип коррекции",
           "f.payment": "Оплата", "f.taxation": "СНО", "f.basis_date": "Дата основания",
           "f.basis_number": "№ предписания", "basis_date": "ДД.ММ.ГГГГ, пусто — сегодня",
           "basis_number": "нужен по предписанию",
           "operation.sell": "приход", "operation.sell_refund": "возврат прихода",
           "operation.buy": "расход", "operation.buy_refund": "возврат расхода",
           "type.self": "самостоятельно", "type.instruction": "по предписанию ФНС",
           "payment.cash": "наличными", "payment.electronic": "безналичными",
           "payment.prepaid": "зачёт аванса", "payment.credit": "в кредит",
           "payment.counter_provision": "встречное предоставление",
           "taxation.osn": "ОСН", "taxation.usn_income": "УСН доходы",
           "taxation.usn_income_outcome": "УСН доходы − расходы", "taxation.eshn": "ЕСХН",
           "taxation.patent": "патент"},
    "en": {"site": "Site", "register": "Register", "shift": "Shift", "fn": "FN",
           "ofd": "OFD", "paper": "Paper", "last": "Last document", "closed": "closed",
           "expired": "{n} > 24 h!", "open": "{n} · {h} h", "down": "unreachable",
           "yes": "ok", "no": "OUT", "sent": "all sent", "unsent": "{n} · {h} h",
           "confirm": "Do it: {what} on register “{register}” (site {site})?",
           "amount": "Amount, ₽", "ok": "Do it", "cancel": "Cancel", "pick": "Pick a register",
           "none": "No registers: install a register plugin",
           "open-shift": "open the shift", "close-shift": "close the shift (Z report)",
           "x-report": "X report", "cash-in": "cash in", "cash-out": "cash out",
           "correction": "a correction receipt",
           "f.operation": "Operation", "f.type": "Correction", "f.payment": "Payment",
           "f.taxation": "Tax system", "f.basis_date": "Basis date",
           "f.basis_number": "Order no.", "basis_date": "DD.MM.YYYY, empty: today",
           "basis_number": "needed by instruction",
           "operation.sell": "sale", "operation.sell_refund": "sale refund",
           "operation.buy": "purchase", "operation.buy_refund": "purchase refund",
           "type.self": "on our own", "type.instruction": "by tax office order",
           "payment.cash": "cash", "payment.electronic": "card / electronic",
           "payment.prepaid": "prepayment offset", "payment.credit": "on credit",
           "payment.counter_provision": "counter provision",
           "taxation.osn": "general (OSN)", "taxation.usn_income": "USN income",
           "taxation.usn_income_outcome": "USN income − expense", "taxation.eshn": "ESHN",
           "taxation.patent": "patent"},
}
# the correction dialog's choices: the API's values (kassa.fiscal_ops.actions), the first the
# default, in the order the CLI offers them
CHOICES = {
    "operation": ("sell", "sell_refund", "buy", "buy_refund"),
    "type": ("self", "instruction"),
    "payment": ("cash", "electronic", "prepaid", "credit", "counter_provision"),
    "taxation": ("osn", "usn_income", "usn_income_outcome", "eshn", "patent"),
}


class ConfirmAction(ModalScreen[dict[str, Any] | None]):
    """Asks before an action; an amount for cash in/out, and for a correction receipt its
    fields too (operation, type, payment, tax system, basis date and order number).
    Dismisses with the fields or None."""

    BINDINGS = [("escape", "cancel", "")]
    DEFAULT_CSS = """
    ConfirmAction { align: center middle; }
    #fiscal-confirm { width: 64; height: auto; border: thick $warning; padding: 1 2;
                      background: $surface; }
    #fiscal-buttons { height: auto; margin-top: 1; }
    #fiscal-confirm Button { margin-right: 2; }
    #fiscal-correction { height: auto; grid-size: 2; grid-columns: 18 1fr; grid-rows: 1;
                         margin-top: 1; }
    """

    def __init__(self, question: str, texts: dict[str, str], *, amount: bool,
                 correction: bool = False) -> None:
        super().__init__()
        self.question, self.texts = question, texts
        self.amount, self.correction = amount or correction, correction

    def compose(self) -> ComposeResult:
        tx = self.texts
        with Vertical(id="fiscal-confirm"):
            yield Label(self.question, id="fiscal-question")
            if self.amount:
                yield Input(placeholder=tx["amount"], id="fiscal-amount")
            if self.correction:  # compact rows: the whole form fits 80x24
                with Grid(id="fiscal-correction"):
                    for name, values in CHOICES.items():
                        yield Label(tx[f"f.{name}"])
                        yield Select([(tx[f"{name}.{v}"], v) for v in values], value=values[0],
                                     allow_blank=False, compact=True, id=f"fiscal-{name}")
                    for name in ("basis_date", "basis_number"):
                        yield Label(tx[f"f.{name}"])
                        yield Input(placeholder=tx[name], compact=True, id=f"fiscal-{name}")
            with Horizontal(id="fiscal-buttons"):
                yield Button(self.texts["ok"], variant="warning", id="fiscal-ok")
                yield Button(self.texts["cancel"], id="fiscal-cancel")

    @on(Button.Pressed, "#fiscal-ok")
    @on(Input.Submitted)
    def _ok(self) -> None:
        fields: dict[str, Any] = {}
        if self.amount:
            from decimal import InvalidOperation

            from kassa.model.money import kopecks

            raw = self.query_one("#fiscal-amount", Input).value.replace(" ", "").replace(",", ".")
            try:
                fields["amount"] = kopecks(raw or "0")
            except InvalidOperation:
                fields["amount"] = 0  # the hub answers with its sentence about the amount
        if self.correction:  # the hub checks them (its sentences name the field and tag)
            for name in CHOICES:
                fields[name] = self.query_one(f"#fiscal-{name}", Select).value
            for name in ("basis_date", "basis_number"):
                fields[name] = self.query_one(f"#fiscal-{name}", Input).value.strip() or None
        self.dismiss(fields)

    @on(Button.Pressed, "#fiscal-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class FiscalScreen(ConsoleScreen):
    TITLE_KEY = "screen.fiscal"
    AUTO_FOCUS = "#registers"
    OWN_KEYS_FIRST = True
    DEFAULT_CSS = """
    #registers { width: 3fr; }
    #fiscal-pane { width: 2fr; border-left: solid $primary; padding: 0 1; }
    """
    BINDINGS = [("o", "act('open-shift')", "key.fiscal_open"),
                ("x", "act('x-report')", "key.fiscal_x"),
                ("z", "act('close-shift')", "key.fiscal_z"),
                ("i", "act('cash-in')", "key.fiscal_in"),
                ("u", "act('cash-out')", "key.fiscal_out"),
                ("k", "act('correction')", "key.fiscal_correction")]
    NAV_KEYS = ()  # six keys of its own fill 80 columns; d and q still work

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, dict[str, Any]] = {}  # row key -> the API's status item
        self.picked: str | None = None

    @property
    def texts(self) -> dict[str, str]:
        return TEXTS.get(self.console.locale, TEXTS["ru"])

    @property
    def fiscal(self) -> FiscalClient:
        return FiscalClient(self.client, self.console.locale)

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="fiscal-body"):
            table: DataTable[object] = DataTable(id="registers", cursor_type="row")
            for key in COLUMNS:
                table.add_column(self.texts[key], key=key)
            yield table
            with VerticalScroll(id="fiscal-pane"):
                yield Static(self.texts["pick"], id="fiscal-detail")

    async def load(self) -> None:
        if not hasattr(self.client, "request"):  # a replayed recording has no registers
            self.query_one("#fiscal-detail", Static).update(self.texts["none"])
            return
        items = await self.ask(self.fiscal.status())
        if items is None:
            return
        self.items = {f"{i['site']}/{i['register']}": i for i in items}
        sync_rows(self.query_one("#registers", DataTable),
                  {k: self._row(i) for k, i in self.items.items()})
        if not items:
            self.query_one("#fiscal-detail", Static).update(self.texts["none"])
            return
        if self.picked not in self.items:
            self.picked = next(iter(self.items))
        self._show_detail()

    def _row(self, item: dict[str, Any]) -> tuple[object, ...]:
        tx = self.texts
        if not item.get("reachable"):
            down = Text(tx["down"], style="bold red")
            return item["site"], item["register"], down, "—", "—", "—", "—"
        st = item["status"]
        if st["shift_expired"]:
            shift = Text(tx["expired"].format(n=st["shift"]), style="bold red")
        elif st["shift_open"]:
            hours = st["shift_age_hours"]
            shift = Text(tx["open"].format(n=st["shift"], h=f"{hours or 0:.1f}"),
                         style="yellow" if (hours or 0) >= 20 else "")
        else:
            shift = Text(tx["closed"], style="dim")
        fn: str | Text = "—"
        if st["fn_full"]:
            fn = Text("!", style="bold red")
        elif st["fn_expires_at"]:
            fn = Text(f"{st['fn_expires_at'][:10]}"
                      + (f" · {st['fn_used_percent']}%" if st["fn_used_percent"] else ""),
                      style="yellow" if (st["fn_days_left"] or 99) < 30 else "")
        ofd = Text(tx["sent"], style="dim") if not st["unsent_documents"] else Text(
            tx["unsent"].format(n=st["unsent_documents"],
                                h=f"{st['oldest_unsent_hours'] or 0:.0f}"), style="yellow")
        paper = Text(tx["yes"]) if st["paper_ok"] else Text(tx["no"], style="bold red")
        last = item.get("last")
        last_text = f"{say('kind.' + last['kind'], self.console.locale)} · " \
                    f"{last['issued_at'][11:16]}" if last else "—"
        return item["site"], item["register"], shift, fn, ofd, paper, last_text

    def _show_detail(self) -> None:
        item = self.items.get(self.picked or "")
        pane = self.query_one("#fiscal-detail", Static)
        if item is None:
            pane.update(self.texts["pick"])
            return
        from kassa.fiscal_ops.render import status_lines

        lines = status_lines(item, self.console.locale)
        last = item.get("last")
        if last:
            lines += ["", *document_lines(item["register"], last, self.console.locale)]
            if last.get("qr"):
                try:
                    lines.append(qr_art(last["qr"], self.console.locale))
                except Exception as exc:  # the qr extra missing: its sentence instead
                    lines.append(str(exc))
        pane.update(Text("\n".join(lines)))

    @on(DataTable.RowHighlighted, "#registers")
    def _picked(self, message: DataTable.RowHighlighted) -> None:
        if message.row_key.value and message.row_key.value != self.picked:
            self.picked = message.row_key.value
            self._show_detail()

    def action_act(self, action: str) -> None:
        item = self.items.get(self.picked or "")
        if item is None:
            self.notify(self.texts["pick"], severity="warning")
            return
        question = self.texts["confirm"].format(what=self.texts[action],
                                                register=item["register"], site=item["site"])
        confirm = ConfirmAction(question, self.texts, amount=action in ("cash-in", "cash-out"),
                                correction=action == "correction")
        self.app.push_screen(confirm, partial(self._confirmed, action, item))

    def _confirmed(self, action: str, item: dict[str, Any],
                   fields: dict[str, Any] | None) -> None:
        if fields is not None:
            run_async(self, partial(self._run, action, item, fields), group="fiscal-act",
                      exit_on_error=False)

    async def _run(self, action: str, item: dict[str, Any], fields: dict[str, Any]) -> None:
        locale = self.console.locale
        try:  # one key per confirmed action: a lost answer is re-sent with it, never twice
            data = await self.fiscal.act(action, key=new_key("console"), site=item["site"],
                                         register=item["register"], **fields)
        except (ApiError, HubUnavailable) as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        text = document_line(action, data["document"], data["register"], locale)
        if data.get("replayed"):
            text += " " + say("doc.replayed", locale)
        self.notify(text)
        await self.load()
