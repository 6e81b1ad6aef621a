"""What every console screen shares: header, link banner, footer, periodic reload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.app import ComposeResult
from textual.binding import Binding
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
N = TypeVar("N", bound=DOMNode)

FOOTER_WIDTH = 80  # the smallest terminal the console supports


def run_async(node: DOMNode, work: Callable[[], Coroutine[Any, Any, None]],
              **options: Any) -> Worker[None]:
    """``node.run_worker(work, **options)`` for an ``async def`` taking no arguments (typed:
    mypy cannot infer textual's result type from a bound coroutine function)."""
    worker: Worker[None] = node.run_worker(work, **options)
    return worker


_LOCALIZED: dict[tuple[type, str, tuple[str, ...]], type] = {}


def localized(cls: type[N], locale: str, hidden: Mapping[str, str] | None = None) -> type[N]:
    """``cls`` with its key bindings described in ``locale``: a subclass (one per class,
    locale and hidden keys, kept) whose ``BINDINGS`` repeat the bindings whose descriptions
    are text keys (``"key.retry"``), translated (tooltips too), plus ``hidden`` (key ->
    action) shown in no footer. Textual builds a node's bindings from its class's
    ``BINDINGS``, so this is the public way to change what the footer says."""
    hidden = dict(hidden or {})
    cache_key = (cls, locale, tuple(f"{k}={a}" for k, a in sorted(hidden.items())))
    found = _LOCALIZED.get(cache_key)
    if found is not None:
        return cast("type[N]", found)
    by_key: dict[str, list[Binding]] = {}  # as textual merges: a subclass's key wins
    for base in reversed(cls.__mro__):
        mine: dict[str, list[Binding]] = {}
        for b in Binding.make_bindings(base.__dict__.get("BINDINGS", [])):
            mine.setdefault(b.key, []).append(b)
        by_key.update(mine)
    own: list[Binding] = []
    for bindings in by_key.values():
        if any(b.description.startswith("key.") for b in bindings):
            own.extend(_translated(b, locale) for b in bindings)
    own.extend(Binding(key, action, show=False) for key, action in hidden.items()
               if key not in by_key)
    meta: Any = type(cls)  # textual's node metaclass
    made: type[N] = meta(cls.__name__, (cls,), {"BINDINGS": own, "__module__": cls.__module__,
                                               "__qualname__": cls.__qualname__})
    _LOCALIZED[cache_key] = made
    return made


def _translated(b: Binding, locale: str) -> Binding:
    """``b`` with its description and tooltip in ``locale`` where they are text keys."""
    def say(text: str | None) -> str | None:
        return t(text, locale) if text and text.startswith(("key.", "cmd.")) else text

    return replace(b, description=say(b.description) or "", tooltip=say(b.tooltip) or "")


def localize(node: DOMNode, locale: str, hidden: Mapping[str, str] | None = None) -> None:
    """Make ``node`` an instance of ``localized(type(node), ...)``; call it before the
    node's ``super().__init__()``, which builds the bindings from the class."""
    node.__class__ = localized(type(node), locale, hidden)


class ConsoleScreen(Screen[None]):
    TITLE_KEY = ""
    RELOAD = True  # reload every ``app.refresh_s`` while shown
    OWN_KEYS_FIRST = False  # True: the footer leaves out the other screens' keys
    NAV_KEYS: tuple[str, ...] = ("d", "q")  # with OWN_KEYS_FIRST: shown after its own keys
    _loader: Worker[None] | None = None

    def __init__(self) -> None:
        # the footer fits 80 columns: it leaves out this screen's own key; a screen with keys
        # of its own shows only NAV_KEYS after them, one without shows every screen's key and
        # leaves out q (left-out keys still work, and they are in the palette)
        mine = self.TITLE_KEY.removeprefix("screen.")
        shown = self.NAV_KEYS if self.OWN_KEYS_FIRST else self._fitting_keys(mine)
        hidden = {key: f"app.show('{mode}')" for key, mode in self.console.mode_keys.items()
                  if mode == mine or key not in shown}
        if "q" not in shown:
            hidden["q"] = "app.quit"
        localize(self, self.console.locale, hidden)
        super().__init__()

    def _fitting_keys(self, mine: str) -> tuple[str, ...]:
        """The other screens' keys, in order, while they fit beside the palette key; the
        plugins' panels come last, so a site with many of them loses theirs first (the keys
        still work and every screen is in the palette)."""
        # the palette key ("^p <label>") is docked at the right of the same line
        room, keys = FOOTER_WIDTH - len(self.t("key.palette")) - 6, []
        for key, mode in self.console.mode_keys.items():
            if mode == mine:
                continue
            room -= len(key) + len(self.console.modes[mode][0]) + 2  # " key desc " in compact
            if room < 0:
                break
            keys.append(key)
        return tuple(keys)

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
