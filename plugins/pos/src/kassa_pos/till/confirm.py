"""A manager's confirmation: the sale screen opens it when the engine says ``AccessDenied``
(a void, a price override, a return without a receipt...) and retries the action with the
``Person`` this screen dismisses with (the engine checks that person's rights and audits
who confirmed). The manager swipes a staff card (a scanner burst reaches ``on_scan``) or
types a PIN into a password field; the PIN is never shown, kept or logged."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from kassa.errors import RetryLater, UserError
from kassa.i18n import t
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from kassa_pos.engine.rights import AccessDenied
from kassa_pos.till.login import StaffEntry
from kassa_pos.till.payment import say

if TYPE_CHECKING:
    from textual.screen import Screen

    from kassa_pos.engine.rights import Person
    from kassa_pos.engine.till import Till

Act = Callable[["Person | None"], Awaitable[Any]]


class ConfirmScreen(StaffEntry, ModalScreen["Person | None"]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; height: auto; border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen #title { text-style: bold; }
    ConfirmScreen #why { color: $warning; }
    ConfirmScreen #status { color: $error; height: auto; }
    ConfirmScreen #keys { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", show=False, priority=True)]
    wrong = "pos.till.confirm.wrong"

    def __init__(self, till: Till, text: str, *, actor: Person | None = None) -> None:
        super().__init__()
        self.till, self.text, self.actor = till, text, actor
        self.locale = till.book.locale

    def compose(self) -> ComposeResult:
        loc = self.locale
        with Vertical():
            yield Static(t("pos.till.confirm.title", loc), id="title")
            yield Static(self.text, id="why")
            yield Static(t("pos.till.confirm.hint", loc))
            yield Input(placeholder=t("pos.till.confirm.pin", loc), password=True, id="pin")
            yield Static("", id="status")
            yield Static(t("pos.till.confirm.keys", loc), id="keys")

    def refusal(self, person: Person) -> str | None:
        if self.actor is not None and person.code == self.actor.code:
            return t("pos.till.confirm.self", self.locale)
        return None

    def action_cancel(self) -> None:
        self.dismiss(None)


async def with_manager(screen: Screen[Any], till: Till, actor: Person, act: Act, why: str,
                       tell: Callable[[str], None]) -> Any:
    """Run ``act(None)``; on ``AccessDenied`` ask a manager (``why``: the action's name) and
    run ``act(manager)``. A refusal (or a cancelled confirmation) goes to ``tell`` as the
    engine's sentence; returns the result, or None when it did not happen."""
    locale = till.book.locale
    try:
        return await act(None)
    except AccessDenied as denied:
        manager = await screen.app.push_screen_wait(
            ConfirmScreen(till, f"{why}: {say(denied, locale)}", actor=actor))
        if manager is None:
            tell(say(denied, locale))
            return None
        try:
            return await act(manager)
        except (UserError, RetryLater) as exc:
            tell(say(exc, locale))
    except (UserError, RetryLater) as exc:
        tell(say(exc, locale))
    return None
