"""What every console screen shares: header, link banner, footer, periodic reload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header
from textual.worker import Worker

from kassa_console.i18n import t
from kassa_console.widgets.banner import LinkBanner

if TYPE_CHECKING:
    from kassa_console.app import ConsoleApp

T = TypeVar("T")


def run_async(node: DOMNode, work: Callable[[], Coroutine[Any, Any, None]],
              **options: Any) -> Worker[None]:
    """``node.run_worker(work, **options)`` for an ``async def`` taking no arguments (typed:
    mypy cannot infer textual's result type from a bound coroutine function)."""
    worker: Worker[None] = node.run_worker(work, **options)
    return worker


def localize_bindings(node: DOMNode, locale: str) -> None:
    """Binding descriptions are written as i18n keys (``"key.retry"``): show them translated."""
    for key, bindings in node._bindings.key_to_bindings.items():
        node._bindings.key_to_bindings[key] = [
            replace(b, description=t(b.description, locale)) if b.description.startswith("key.")
            else b for b in bindings]


class ConsoleScreen(Screen[None]):
    TITLE_KEY = ""
    RELOAD = True  # reload every ``app.refresh_s`` while shown
    OWN_KEYS_FIRST = False  # True: the footer leaves out the other screens' keys
    _loader: Worker[None] | None = None

    def __init__(self) -> None:
        super().__init__()
        localize_bindings(self, self.console.locale)
        # the footer fits 80 columns: it leaves out this screen's own key, and on a screen with
        # keys of its own every other screen's but the Dashboard's (they still work, and
        # they are in the palette)
        mine = self.TITLE_KEY.removeprefix("screen.")
        for key, mode in self.console.mode_keys.items():
            quiet = mode == mine or (self.OWN_KEYS_FIRST and mode != "dashboard")
            if quiet and key not in self._bindings.key_to_bindings:
                self._bindings.bind(key, f"app.show('{mode}')", show=False)

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    @property
    def client(self) -> Any:
        return self.console.client

    def t(self, key: str, **kw: object) -> str:
        return self.console.t(key, **kw)

    def compose(self) -> ComposeResult:
        yield Header()
        yield LinkBanner(id="banner")
        yield from self.compose_body()
        yield Footer(compact=True)  # every key fits 80 columns

    def compose_body(self) -> Iterable[Widget]:
        return ()

    def on_mount(self) -> None:
        self.sub_title = self.t(self.TITLE_KEY)
        if self.RELOAD:
            self.set_interval(self.console.refresh_s, self._tick)

    def on_screen_resume(self) -> None:
        self.reload()

    def _tick(self) -> None:
        # a load still under way (a slow hub, retries) is left to finish: cancelling it
        # every tick would never let a failure surface, and hammers a hub that is slow
        loading = self._loader is not None and self._loader.is_running
        if self.is_current and not loading:
            self.reload()

    def reload(self) -> None:
        """Fetch this screen's data in a worker (a newer reload cancels an older one)."""
        self._loader = self.run_worker(self.load, group="load", exclusive=True,
                                       exit_on_error=False)

    async def load(self) -> None:
        """Override: fetch through ``self.ask(...)`` and fill the widgets."""

    async def ask(self, call: Awaitable[T]) -> T | None:
        return await self.console.ask(call)
