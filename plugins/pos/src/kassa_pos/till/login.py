"""The till's first screen: the cashier swipes a staff card (a scanner burst reaches
``on_scan``) or types a PIN; ``Rights.identify`` names the person. A wrong one is one
sentence; the PIN is a password field, never shown, kept or logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kassa.i18n import t
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Static

from kassa_pos.engine.rights import Person

if TYPE_CHECKING:
    from kassa_pos.engine.till import Till


class LoginScreen(Screen[Person]):
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

    def on_mount(self) -> None:
        self.query_one("#pin", Input).focus()

    def on_scan(self, code: str) -> None:
        self._try(code)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        secret, event.input.value = event.value, ""
        self._try(secret)

    def _try(self, secret: str) -> None:
        person = self.till.book.rights.identify(secret.strip())
        if person is None:
            self.query_one("#status", Static).update(t("pos.till.login.wrong", self.locale))
            return
        self.dismiss(person)
