"""The till's first screen: the cashier swipes a staff card (a scanner burst reaches
``on_scan``) or types a PIN; ``Rights.identify`` names the person. A wrong one is one
sentence; the PIN is a password field, never shown, kept or logged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kassa.i18n import t
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from kassa_pos.engine.rights import Person

if TYPE_CHECKING:
    from kassa_pos.engine.till import Till


if TYPE_CHECKING:
    _Base = Screen[Any]
else:
    _Base = object


class StaffEntry(_Base):
    """What the sign-in and the manager's confirmation share: a staff card swiped (a
    scanner burst reaches ``on_scan``) or a PIN typed into ``#pin`` names a person, or
    ``#status`` says why not. ``refusal`` adds a screen's own rule."""

    till: Till
    locale: str
    wrong = "pos.till.login.wrong"

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def on_scan(self, code: str) -> None:
        self.accept(code)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        secret, event.input.value = event.value, ""
        self.accept(secret)

    def refusal(self, person: Person) -> str | None:
        return None

    def accept(self, secret: str) -> None:
        person = self.till.book.rights.identify(secret.strip())
        problem = t(self.wrong, self.locale) if person is None else self.refusal(person)
        if problem or person is None:
            self.query_one("#status", Static).update(problem or "")
            return
        self.dismiss(person)


class LoginScreen(StaffEntry, Screen[Person]):
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical {
        width: 56; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    LoginScreen #title { text-style: bold; }
    LoginScreen #status { color: $error; height: auto; }
    """

    def __init__(self, till: Till, title: str, *, hint: str = "") -> None:
        super().__init__()
        self.till, self.title_text, self.hint = till, title, hint
        self.locale = till.book.locale

    def compose(self) -> ComposeResult:
        loc = self.locale
        with Vertical():
            yield Static(t("pos.till.login.title", loc, till=self.title_text), id="title")
            yield Static(t("pos.till.login.hint", loc))
            if self.hint:
                yield Static(self.hint, id="hint")
            yield Input(password=True, placeholder=t("pos.till.login.pin", loc), id="pin")
            yield Static("", id="status")
