"""Two small modal questions the till asks: ``AskScreen`` (one line of text: a void's
reason, a quantity, an opening float) and ``PickScreen`` (one of a list: a deferred check,
an item found by name). Enter answers, Esc cancels (None)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; height: auto; max-height: 20; border: thick $accent; background: $surface;
    padding: 0 1;
}}
{name} #question {{ text-style: bold; }}
{name} #error {{ color: $error; height: auto; }}
{name} OptionList {{ height: auto; max-height: 14; }}
"""


class AskScreen(ModalScreen["str | None"]):
    DEFAULT_CSS = _CSS.format(name="AskScreen")
    BINDINGS = [Binding("escape", "cancel", show=False, priority=True)]

    def __init__(self, question: str, *, value: str = "", placeholder: str = "",
                 check: Callable[[str], str | None] | None = None) -> None:
        """``check(answer)`` returns a sentence when the answer will not do (asked again)."""
        super().__init__()
        self.question, self.value, self.placeholder, self.check = (question, value,
                                                                   placeholder, check)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            yield Input(value=self.value, placeholder=self.placeholder, id="answer")
            yield Static("", id="error")

    def on_mount(self) -> None:
        self.query_one("#answer", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer = event.value.strip()
        problem = self.check(answer) if self.check is not None else None
        if problem:
            self.query_one("#error", Static).update(problem)
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickScreen(ModalScreen["str | None"]):
    DEFAULT_CSS = _CSS.format(name="PickScreen")
    BINDINGS = [Binding("escape", "cancel", show=False, priority=True)]

    def __init__(self, question: str, options: Sequence[tuple[str, str]], *,
                 empty: str = "") -> None:
        """``options``: (id, what the cashier reads)."""
        super().__init__()
        self.question, self.options, self.empty = question, list(options), empty

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="question")
            if self.options:
                yield OptionList(*[Option(text, id=key) for key, text in self.options])
            else:
                yield Static(self.empty, id="error")

    def on_mount(self) -> None:
        if self.options:
            self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
