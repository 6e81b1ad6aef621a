"""The payment screen: the mix of tenders for one check, then ``Till.pay``.

Keyboard-first: type an amount (empty: what is still due), then the key of the way to pay
(F2 cash, F3/F4 card on terminal 1/2, F5 bonus, F6 deposit, F7.. the internal kinds);
F8 takes the last tender back; Enter pays once the tenders cover the check (or adds the
typed amount as cash). Every tender is checked by the engine's own plan as it is added, so
a wrong one is refused with the engine's sentence before anything moves.

Once paying has started the tenders are locked: a ``RetryLater`` (paper out, a terminal
whose answer was lost) means the money is held and the same attempt must be finished
(Enter, never charged twice) or given back (Esc, ``abandon_payment``). A decline ends the
attempt: the tenders are editable again. Dismisses with the ``Paid`` or None.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from kassa.errors import RetryLater, UserError
from kassa.i18n import t
from kassa.model.money import format_money
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from kassa_pos.engine.values import Tender

if TYPE_CHECKING:
    from kassa_pos.engine.check import Check
    from kassa_pos.engine.pay import Paid
    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till

INTERNAL_KEYS = ("f7", "f9", "f10", "f11")  # F8 takes a tender back


def say(exc: BaseException, locale: str) -> str:
    """The cashier's sentence of a refusal, in the till's language."""
    text = getattr(exc, "text", None)
    return text(locale) if callable(text) else str(exc)


def parse_money(text: str, *, zero: bool = False) -> int | None:
    """``"150"``, ``"150,5"``, ``"1 500.50"`` -> kopecks; None when empty; ValueError when
    it is not an amount (0 only with ``zero``: an opening float may be nothing)."""
    raw = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value < 0 or (value == 0 and not zero) \
            or value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(value * 100)


class PaymentScreen(ModalScreen["Paid | None"]):
    DEFAULT_CSS = """
    PaymentScreen { align: center middle; }
    PaymentScreen > Vertical {
        width: 76; height: auto; max-height: 22; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    PaymentScreen #title { text-style: bold; }
    PaymentScreen #due { text-style: bold; color: $warning; }
    PaymentScreen DataTable { height: auto; max-height: 7; }
    PaymentScreen #status { height: auto; min-height: 2; }
    PaymentScreen #status.error { color: $error; }
    PaymentScreen #status.done { color: $success; text-style: bold; }
    PaymentScreen #keys { color: $text-muted; }
    """

    def __init__(self, till: Till, check: Check, actor: Person) -> None:
        super().__init__()
        self.till, self.check, self.actor = till, check, actor
        self.locale = till.book.locale
        self.tenders: list[Tender] = []
        self.kinds = self._kinds()
        self.started = False  # an attempt is stored: the tenders are locked
        self.paying = False
        self.paid: Paid | None = None

    def _kinds(self) -> list[tuple[str, str, str, str | None]]:
        """(key, label, tender kind, terminal) for each way this till can pay."""
        loc = self.locale
        cfg = self.till.payments.config
        kinds: list[tuple[str, str, str, str | None]] = [
            ("f2", t("pos.till.pay.kind.cash", loc), "cash", None)]
        terminals = cfg.terminals or (None,)
        for n, name in enumerate(terminals[:2]):
            label = t("pos.till.pay.kind.card_n", loc, n=n + 1) if len(terminals) > 1 \
                else t("pos.till.pay.kind.card", loc)
            kinds.append((("f3", "f4")[n], label, "card", name))
        kinds.append(("f5", t("pos.till.pay.kind.bonus", loc), "bonus", None))
        kinds.append(("f6", t("pos.till.pay.kind.deposit", loc), "deposit", None))
        for key, name in zip(INTERNAL_KEYS, sorted(cfg.internal), strict=False):
            kinds.append((key, name, f"internal:{name}", None))
        return kinds

    BINDINGS = [
        *[Binding(k, f"way('{k}')", show=False, priority=True)
          for k in ("f2", "f3", "f4", "f5", "f6", *INTERNAL_KEYS)],
        Binding("f8", "drop_last", show=False, priority=True),
        Binding("escape", "cancel", show=False, priority=True),
    ]

    def compose(self) -> ComposeResult:
        loc = self.locale
        with Vertical():
            yield Static(t("pos.till.pay.title", loc, number=self.check.number or "—"),
                         id="title")
            yield Static(t("pos.till.pay.due", loc,
                           amount=format_money(self.check.total, loc)), id="due")
            table: DataTable[str] = DataTable(id="tenders", cursor_type="none",
                                              show_header=False)
            yield table
            yield Static("", id="rest")
            yield Input(placeholder=t("pos.till.pay.amount", loc), id="amount")
            yield Static("  ".join(f"{k.upper()} {label}" for k, label, _, _ in self.kinds),
                         id="kinds")
            yield Static("", id="status")
            yield Static(t("pos.till.pay.keys", loc), id="keys")

    def on_mount(self) -> None:
        table = self.query_one("#tenders", DataTable)
        table.add_columns("kind", "amount")
        if self.check.pricing.bonus_spend_max and self.check.guest is not None:
            self._status(t("pos.till.pay.bonus_max", self.locale,
                           amount=format_money(self.check.pricing.bonus_spend_max,
                                               self.locale)))
        self._refresh()
        self.query_one("#amount", Input).focus()

    # -- figures ---------------------------------------------------------------------------
    @property
    def given(self) -> int:
        return sum(td.amount for td in self.tenders)

    @property
    def rest(self) -> int:
        return max(self.check.total - self.given, 0)

    def _refresh(self) -> None:
        loc = self.locale
        table = self.query_one("#tenders", DataTable)
        table.clear()
        for td in self.tenders:
            table.add_row(self._label(td), format_money(td.amount, loc))
        if self.rest:
            text = t("pos.till.pay.rest", loc, amount=format_money(self.rest, loc))
        else:
            change = self.given - self.check.total
            text = (t("pos.till.pay.change", loc, amount=format_money(change, loc)) + ". "
                    if change else "") + t("pos.till.pay.covered", loc)
        self.query_one("#rest", Static).update(text)

    def _label(self, td: Tender) -> str:
        for _, label, kind, terminal in self.kinds:
            if kind == td.kind and terminal == td.terminal:
                return label
        return td.kind

    def _status(self, text: str, cls: str = "") -> None:
        status = self.query_one("#status", Static)
        status.set_classes(cls)
        status.update(text)

    # -- actions ---------------------------------------------------------------------------
    def _amount(self) -> int | None:
        """The typed amount in kopecks (None: empty); a bad one is said and raises."""
        box = self.query_one("#amount", Input)
        try:
            return parse_money(box.value)
        except ValueError:
            self._status(t("pos.till.pay.bad_amount", self.locale, text=box.value), "error")
            raise

    def action_way(self, key: str) -> None:
        index = next((i for i, k in enumerate(self.kinds) if k[0] == key), None)
        if index is not None:
            self.action_tender(index)

    def action_tender(self, index: int) -> None:
        if self.paid is not None or self.paying:
            return
        if self.started:
            self._status(t("pos.till.pay.locked", self.locale), "error")
            return
        try:
            typed = self._amount()
        except ValueError:
            return
        _, label, kind, terminal = self.kinds[index]
        amount = typed if typed is not None else self.rest
        if amount <= 0:
            self._status(t("pos.till.pay.covered", self.locale), "error")
            return
        account = None
        if kind in ("bonus", "deposit"):
            guest = self.check.guest
            if guest is None:
                self._status(t("pos.till.pay.no_guest", self.locale, kind=label), "error")
                return
            # what the programme identifies the guest by (the card scanned); its id else
            ident = self.check.identifier
            account = ident.value if ident is not None and ident.value else guest.id
        tender = Tender(kind=kind, amount=amount, terminal=terminal, account=account)
        if not self._acceptable([*self.tenders, tender], partial=True):
            return
        self.tenders.append(tender)
        self.query_one("#amount", Input).value = ""
        self._status("")
        self._refresh()

    def _acceptable(self, tenders: list[Tender], *, partial: bool) -> bool:
        """The engine's own rules on the tenders so far (a partial mix may be short)."""
        from kassa_pos.engine.pay import PayError

        try:
            self.till.payments.plan(self.check.to_draft(), tenders, key="check",
                                    now=self.till.hub.clock.now())
        except PayError as exc:
            if partial and exc.code == "underpaid":
                return True
            self._status(say(exc, self.locale), "error")
            return False
        except UserError as exc:
            self._status(say(exc, self.locale), "error")
            return False
        return True

    def action_drop_last(self) -> None:
        if self.tenders and not self.started and not self.paying and self.paid is None:
            self.tenders.pop()
            self._status("")
            self._refresh()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.paid is not None:
            self.dismiss(self.paid)
            return
        if self.paying:
            return
        if event.value.strip() and not self.started:
            self.action_tender(0)  # a typed amount and Enter: cash
            return
        if not self.tenders:
            self._status(t("pos.till.pay.nothing", self.locale), "error")
            return
        if self.rest:
            self._status(t("pos.till.pay.not_covered", self.locale,
                           amount=format_money(self.rest, self.locale)), "error")
            return
        self.pay()

    @work(exclusive=True, group="pay")
    async def pay(self) -> None:
        self.paying = True
        self._status(t("pos.till.pay.running", self.locale))
        try:
            paid = await self.till.pay(self.check, list(self.tenders), actor=self.actor)
        except RetryLater as exc:
            self.started = True  # the attempt is stored and holds the money
            self._status(t("pos.till.pay.held", self.locale,
                           reason=say(exc, self.locale).rstrip(".")), "error")
            return
        except UserError as exc:
            self.started = False  # a decline ends the attempt: a new mix may follow
            self._status(say(exc, self.locale), "error")
            return
        finally:
            self.paying = False
        self.paid = paid
        self._done(paid)

    def _done(self, paid: Paid) -> None:
        loc = self.locale
        fd = paid.document.number
        text = t("pos.till.pay.done_change", loc, amount=format_money(paid.change, loc),
                 fd=fd) if paid.change else t("pos.till.pay.done", loc, fd=fd)
        extra = [t("pos.till.pay.slip", loc, text=s)
                 for s in self.till.slip_texts(self.check.id)]
        self._status("\n".join([text, *extra, t("pos.till.pay.close", loc)]), "done")
        box = self.query_one("#amount", Input)
        box.value = ""
        box.focus()

    def action_cancel(self) -> None:
        if self.paid is not None:
            self.dismiss(self.paid)
        elif self.paying:
            return
        elif self.started:
            self.give_back()
        else:
            self.dismiss(None)

    @work(exclusive=True, group="pay")
    async def give_back(self) -> None:
        try:
            n = await self.till.abandon_payment(self.check, actor=self.actor)
        except UserError as exc:
            self._status(say(exc, self.locale), "error")
            return
        self.app.notify(t("pos.till.pay.abandoned", self.locale, count=n))
        self.dismiss(None)

