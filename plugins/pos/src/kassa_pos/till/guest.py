"""The guest panel and the client service screen the sale screen opens (F-key ``guest``).

The cashier scans the guest's card (a scanner burst reaches ``on_scan``) or types a card or
phone number: the panel shows the guest (``GuestPanel``: name, the card masked, the bonus
balance, groups, birthday), found by ``Till.find_guest``: the loyalty programme's answer, or
while it is out of reach the store's client register (an offline guest: the panel says in
one sentence that points can be neither earned nor spent; F2 puts them on the check with
their groups, without a quote). F2 attaches the guest to the check and closes; a card no guest
has is offered for issue (F3); F4 opens the questionnaire (the guest's consent is asked
every time: nothing is saved without it; a blank form without it withdraws the consent and
the programme erases the data); F5 blocks a lost card (with a reason), F6 replaces it (the
balance moves to the new card). Every write goes through ``till.client`` with a key of its
own that is kept until it succeeds, so repeating an action after a timeout acts once.
``AccessDenied`` asks a manager (``ConfirmScreen``) and the same action is tried again with
them. A refusal is one sentence in ``#status``; what was typed stays.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from kassa.errors import RetryLater, UserError
from kassa.i18n import t
from kassa.model import Guest, Identifier, IdentifierKind
from kassa.model.money import format_amount
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kassa_pos.engine.client import GuestCard, Question, Questionnaire, mask
from kassa_pos.engine.rights import AccessDenied
from kassa_pos.till.ask import AskScreen, PickScreen
from kassa_pos.till.payment import say

if TYPE_CHECKING:
    from kassa_pos.engine.check import Check
    from kassa_pos.engine.client import ClientService
    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till

Write = Callable[[str, "Person | None"], Awaitable[GuestCard]]
KEYS = ("f2", "f3", "f4", "f5", "f6", "f9")
DATE = "%d.%m.%Y"


def card_of(guest: Guest, typed: str) -> str:
    """The card the panel names: the one scanned, or the guest's active card when a phone
    (or another identifier) found them; what a block or a replacement acts on."""
    active = [i for i in guest.identifiers if i.status == "active"]
    if any(i.value == typed and i.kind is not IdentifierKind.PHONE for i in active):
        return typed
    cards = [i for i in active if i.kind is IdentifierKind.CARD] or \
        [i for i in active if i.kind is not IdentifierKind.PHONE]
    return cards[0].value if cards else typed


def panel_text(found: GuestCard, locale: str, *, card: str = "") -> str:
    """The panel's lines for a guest: name and consent, card, points, groups, birthday
    (an offline guest: no consent or points, the register's sentence, the day and month)."""
    g, none = found.guest, t("pos.till.guest.none", locale)
    if found.offline:
        from kassa_pos.engine.client_register import say as register_says

        return "\n".join([
            t("pos.till.guest.name", locale,
              name=g.name or t("pos.till.guest.anonymous", locale)),
            t("pos.till.guest.card", locale, card=mask(card) if card else none),
            register_says(locale, "offline"),
            t("pos.till.guest.groups", locale, groups=", ".join(g.groups) or none),
            t("pos.till.guest.birthday", locale,
              date=g.birthday.strftime("%d.%m") if g.birthday else none)])
    consent = t("pos.till.guest.consent_" + ("yes" if g.consent else "no"), locale)
    lines = [t("pos.till.guest.name", locale,
               name=f"{g.name or t('pos.till.guest.anonymous', locale)} · {consent}"),
             t("pos.till.guest.card", locale, card=mask(card) if card else none),
             t("pos.till.guest.balance", locale, points=format_amount(found.balance, locale)),
             t("pos.till.guest.groups", locale, groups=", ".join(g.groups) or none),
             t("pos.till.guest.birthday", locale,
               date=g.birthday.strftime(DATE) if g.birthday else none)]
    return "\n".join(lines)


class GuestPanel(Static):
    """The guest a card names, as the cashier reads it (``show``), a card nobody has
    (``unknown``) or a line of help (``clear``)."""

    DEFAULT_CSS = """
    GuestPanel { height: auto; min-height: 5; padding: 0 1; background: $boost; }
    GuestPanel.unknown { color: $warning; }
    """

    def __init__(self, locale: str = "ru", *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.locale = locale

    def show(self, found: GuestCard, card: str = "") -> None:
        self.remove_class("unknown")
        self.update(panel_text(found, self.locale, card=card))

    def unknown(self, card: str) -> None:
        self.add_class("unknown")
        self.update(t("pos.till.guest.unknown", self.locale, card=mask(card)))

    def clear(self, text: str = "") -> None:
        self.remove_class("unknown")
        self.update(text)


class GuestScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    GuestScreen { align: center middle; }
    GuestScreen > Vertical {
        width: 76; height: auto; max-height: 22; border: thick $accent;
        background: $surface; padding: 0 1;
    }
    GuestScreen #title, GuestScreen #form_title { text-style: bold; }
    GuestScreen #form { height: auto; display: none; }
    GuestScreen .editing #form { display: block; }
    GuestScreen .editing #card, GuestScreen .editing GuestPanel { display: none; }
    GuestScreen .row { height: 1; }
    GuestScreen .row Label { width: 16; }
    GuestScreen .row Input, GuestScreen .row Input:focus {
        width: 1fr; height: 1; border: none; padding: 0 1; background: $boost;
    }
    GuestScreen Checkbox, GuestScreen Checkbox:focus {
        height: 1; border: none; padding: 0; background: $surface;
    }
    GuestScreen OptionList, GuestScreen OptionList:focus {
        height: auto; max-height: 6; border: none; padding: 0; background: $surface;
    }
    GuestScreen #status { height: auto; min-height: 1; }
    GuestScreen #status.error { color: $error; }
    GuestScreen #status.done { color: $success; }
    GuestScreen #keys { color: $text-muted; }
    """
    BINDINGS = [*[Binding(k, f"guest_key('{k}')", show=False, priority=True) for k in KEYS],
                Binding("escape", "back", show=False, priority=True)]

    def __init__(self, till: Till, check: Check, actor: Person, *,
                 card: str | None = None) -> None:
        """``card``: scanned on the sale screen; looked up as the screen opens."""
        super().__init__()
        self.till, self.check, self.actor = till, check, actor
        self.first_card = card
        self.locale = till.book.locale
        self.found: GuestCard | None = None  # the guest on the panel
        self.card_no = ""  # their card (what F5 / F6 act on)
        self.stranger: str | None = None  # a card nobody has (F3 issues it)
        self.picked: dict[str, str] = {}  # questionnaire: question id -> answer
        self.keys: dict[tuple[str, ...], str] = {}  # an action -> its key, until it is done
        self.busy = False

    def compose(self) -> ComposeResult:
        loc = self.locale
        with Vertical(id="box"):
            yield Static(t("pos.till.guest.title", loc), id="title")
            yield Input(placeholder=t("pos.till.guest.field", loc), id="card")
            yield GuestPanel(loc, id="panel")
            with Vertical(id="form"):
                yield Static("", id="form_title")
                for name in ("name", "birthday", "email"):
                    with Horizontal(classes="row"):
                        yield Label(t(f"pos.till.guest.f_{name}", loc))
                        yield Input(id=f"f_{name}", placeholder=t("pos.till.guest.date_hint", loc)
                                    if name == "birthday" else "")
                yield Checkbox(t("pos.till.guest.consent", loc), id="f_consent")
                if self.questions:
                    yield OptionList(id="f_questions")
            yield Static("", id="status")
            yield Static(t("pos.till.guest.keys", loc), id="keys")

    def on_mount(self) -> None:
        self.query_one(GuestPanel).clear(t("pos.till.guest.hint", self.locale))
        self.query_one("#card", Input).focus()
        self._client()  # no programme here: said (the store's register may know the card)
        if self.first_card:
            self.on_scan(self.first_card)

    @property
    def editing(self) -> bool:
        return self.query_one("#box").has_class("editing")

    @property
    def questions(self) -> list[Question]:
        try:
            return list(self.till.client.questions.values())
        except UserError:
            return []

    def _client(self) -> ClientService | None:
        try:
            return self.till.client
        except UserError as exc:
            self._say(say(exc, self.locale), "error")
            return None

    def _editing(self, on: bool) -> None:
        """The questionnaire in place of the card field and the panel, or back."""
        self.query_one("#box").set_class(on, "editing")
        self.query_one("#keys", Static).update(
            t("pos.till.guest." + ("form_keys" if on else "keys"), self.locale))
        self.query_one("#f_name" if on else "#card", Input).focus()

    def _say(self, text: str, cls: str = "") -> None:
        status = self.query_one("#status", Static)
        status.set_classes(cls)
        status.update(text)

    def _run(self, job: Callable[[], Awaitable[None]]) -> None:
        """One action at a time (a second key while one waits is ignored)."""
        if self.busy:
            return
        self.busy = True

        async def go() -> None:
            try:
                await job()
            finally:
                self.busy = False

        self.run_worker(go(), group="guest")

    # -- the card field and the scanner ----------------------------------------------------
    def on_scan(self, code: str) -> None:
        """A scanner burst (the app routes it here whatever has focus): look the card up."""
        if self.editing:
            self._say(t("pos.till.guest.form_open", self.locale), "error")
            return
        self._run(lambda: self.look(code))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "card":
            if self.busy:  # kept for when the action in hand is over
                return
            typed, event.input.value = event.value.strip(), ""
            if typed:
                self._run(lambda: self.look(typed))
        else:  # the questionnaire: Enter moves on, F9 saves
            self.focus_next()

    async def look(self, typed: str) -> None:
        typed = typed.strip()
        if not typed:
            return
        panel = self.query_one(GuestPanel)
        self.found, self.card_no, self.stranger = None, "", None
        try:
            found = await self.till.find_guest(typed)
        except (UserError, RetryLater) as exc:  # a blocked card: the programme's sentence
            panel.clear()
            self._say(say(exc, self.locale), "error")
            return
        self._say("")
        if found is None:
            self.stranger = typed
            panel.unknown(typed)
            return
        self._shown(found, card_of(found.guest, typed))

    def _shown(self, found: GuestCard, card: str) -> None:
        self.found, self.card_no, self.stranger = found, card, None
        self.query_one(GuestPanel).show(found, card)

    # -- keys ------------------------------------------------------------------------------
    def action_guest_key(self, key: str) -> None:
        if self.busy:
            return
        if self.editing:
            if key == "f9":
                self._run(self.save)
            else:
                self._say(t("pos.till.guest.form_open", self.locale), "error")
            return
        job = {"f2": self.attach, "f3": self.issue, "f4": self.open_form, "f5": self.block,
               "f6": self.replace}.get(key)
        if job is not None:
            self._run(job)

    def action_back(self) -> None:
        if self.busy:
            return
        if self.editing:
            self._editing(False)
            self._say("")
        else:
            self.dismiss(None)

    async def write(self, action: tuple[str, ...], why: str, act: Write) -> GuestCard | None:
        """``act(key, None)``; on AccessDenied ask a manager and ``act(key, manager)``. The
        key stays the action's until it succeeds (a retry after a timeout acts once)."""
        from kassa_pos.till.confirm import ConfirmScreen

        key = self.keys.setdefault(action, str(uuid.uuid4()))
        try:
            try:
                done = await act(key, None)
            except AccessDenied as denied:
                manager = await self.app.push_screen_wait(ConfirmScreen(
                    self.till, f"{why}: {say(denied, self.locale)}", actor=self.actor))
                if manager is None:
                    self._say(say(denied, self.locale), "error")
                    return None
                done = await act(key, manager)
        except (UserError, RetryLater) as exc:
            self._say(say(exc, self.locale), "error")
            return None
        self.keys.pop(action, None)
        return done

    def _need_guest(self) -> GuestCard | None:
        if self.found is None:
            self._say(t("pos.till.guest.no_guest", self.locale), "error")
        return self.found

    async def attach(self) -> None:
        """F2: the guest onto the check, with the programme's quote (a programme that does
        not answer now: without one, the till asks again later), then close."""
        found = self._need_guest()
        if found is None:
            return
        guest = found.guest
        identifier = next((i for i in guest.identifiers if i.value == self.card_no),
                          Identifier(IdentifierKind.CARD, self.card_no))
        if found.offline:  # from the store's register: the groups, no quote
            try:
                await self.till.identify(self.check, guest, actor=self.actor,
                                         identifier=identifier, offline=True)
            except UserError as exc:
                self._say(say(exc, self.locale), "error")
                return
            self.dismiss(None)
            return
        client = self._client()
        if client is None:
            return
        try:
            trial = self.check.trial()  # the quote is asked before anything is stored
            trial.set_guest(guest, identifier)
            try:
                quote = await client.program.quote(trial.to_order(), guest)
            except RetryLater:
                quote = None
            await self.till.identify(self.check, guest, actor=self.actor,
                                     identifier=identifier, quote=quote)
        except (UserError, RetryLater) as exc:
            self._say(say(exc, self.locale), "error")
            return
        self.dismiss(None)

    async def issue(self) -> None:
        card, client = self.stranger, self._client()
        if client is None:
            return
        if card is None:
            self._say(t("pos.till.guest.no_stranger", self.locale), "error")
            return
        done = await self.write(("issue", card), t("pos.till.guest.act.issue", self.locale),
                                lambda key, manager: client.issue(card, key, self.actor, manager))
        if done is not None:
            self._shown(done, card)
            self._say(t("pos.till.guest.issued", self.locale, card=mask(card)), "done")

    async def block(self) -> None:
        found, client = self._need_guest(), self._client()
        if found is None or client is None:
            return
        card, loc = self.card_no, self.locale
        reason = await self.app.push_screen_wait(
            AskScreen(t("pos.till.guest.ask_reason", loc, card=mask(card))))
        if not reason:
            return
        done = await self.write(("block", card, reason), t("pos.till.guest.act.block", loc),
                                lambda key, manager: client.block(card, reason, key, self.actor,
                                                                  manager))
        if done is not None:  # the card is gone: nothing on the panel to act on
            self.found, self.card_no = None, ""
            self.query_one(GuestPanel).clear(t("pos.till.guest.hint", loc))
            self._say(t("pos.till.guest.blocked", loc, card=mask(card), reason=reason), "done")

    async def replace(self) -> None:
        found, client = self._need_guest(), self._client()
        if found is None or client is None:
            return
        old, loc = self.card_no, self.locale
        new = await self.app.push_screen_wait(
            AskScreen(t("pos.till.guest.ask_new", loc, card=mask(old))))
        if not new:
            return
        done = await self.write(("replace", old, new), t("pos.till.guest.act.replace", loc),
                                lambda key, manager: client.replace(old, new, key, self.actor,
                                                                    manager))
        if done is not None:
            self._shown(done, new)
            self._say(t("pos.till.guest.replaced", loc, old=mask(old), new=mask(new),
                        points=format_amount(done.balance, loc)), "done")

    # -- the questionnaire -----------------------------------------------------------------
    async def open_form(self) -> None:
        found = self._need_guest()
        if found is None or self._client() is None:
            return
        g = found.guest
        self.query_one("#form_title", Static).update(
            t("pos.till.guest.form_title", self.locale, card=mask(self.card_no)))
        self.query_one("#f_name", Input).value = g.name
        self.query_one("#f_birthday", Input).value = g.birthday.strftime(DATE) \
            if g.birthday else ""
        self.query_one("#f_email", Input).value = g.email or ""
        self.query_one("#f_consent", Checkbox).value = False  # asked every time
        self.picked = {}
        self._questions()
        self._editing(True)
        self._say("")

    def _questions(self) -> None:
        if not self.questions:
            return
        box = self.query_one("#f_questions", OptionList)
        box.clear_options()
        box.add_options([Option(self._row(q), id=q.id) for q in self.questions])
        box.highlighted = 0  # Enter answers the first at once

    def _row(self, q: Question) -> str:
        loc = self.locale
        answer = self.picked.get(q.id)
        if answer is None:  # what the guest's groups say now, if anything
            groups = set(self.found.guest.groups) if self.found is not None else set()
            now = next((a for a, g in q.answers.items() if g and g in groups), None)
            answer = t("pos.till.guest.q_now", loc, answer=now) if now is not None \
                else t("pos.till.guest.q_none", loc)
        return t("pos.till.guest.q_row", loc, question=q.text, answer=answer)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        qid = event.option.id
        if qid is not None:
            self._run(lambda: self.answer(qid))

    async def answer(self, qid: str) -> None:
        q = next((q for q in self.questions if q.id == qid), None)
        if q is None:
            return
        loc = self.locale
        options = [(a, t("pos.till.guest.q_group", loc, answer=a, group=g) if g else a)
                   for a, g in q.answers.items()]
        picked = await self.app.push_screen_wait(PickScreen(q.text, options))
        if picked:
            self.picked[qid] = picked
            self.query_one("#f_questions", OptionList).replace_option_prompt(qid, self._row(q))

    def _form(self) -> Questionnaire | None:
        """What was typed; a date that is not one is said (and None)."""
        def typed(name: str) -> str | None:
            return self.query_one(f"#f_{name}", Input).value.strip() or None

        birthday: date | None = None
        text = typed("birthday")
        if text is not None:
            try:
                birthday = datetime.strptime(text, DATE).date()
            except ValueError:
                self._say(t("pos.till.guest.bad_date", self.locale, text=text), "error")
                return None
        return Questionnaire(consent=self.query_one("#f_consent", Checkbox).value,
                             name=typed("name"), email=typed("email"), birthday=birthday,
                             answers=self.picked)

    async def save(self) -> None:
        found, client = self._need_guest(), self._client()
        form = self._form()
        if found is None or client is None or form is None:
            return
        if form.empty and not form.consent and not found.guest.consent:
            self._say(client.texts["consent"], "error")  # nothing to save, nothing to withdraw
            return
        done = await self.write(("save", found.guest.id, repr(form)),
                                t("pos.till.guest.act.save", self.locale),
                                lambda key, manager: client.save(found.guest, form, key,
                                                                 self.actor, manager))
        if done is None:  # refused: the form stays as typed
            return
        self._shown(done, self.card_no)
        self._editing(False)
        self._say(t("pos.till.guest." + ("saved" if form.consent else "withdrawn"),
                    self.locale), "done")
