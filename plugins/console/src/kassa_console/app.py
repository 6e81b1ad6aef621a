"""The operator console: one App, a screen (mode) per task, live events from the hub."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from kassa.api.client import ApiError, ConsoleClient, HubUnavailable
from kassa.api.records import EventRecord
from kassa.hookspecs.app import ConsolePanel
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal

from kassa_console.i18n import LOCALES, t
from kassa_console.screens import SCREENS
from kassa_console.screens.base import localize

T = TypeVar("T")


class ConsoleApp(App[None]):
    """``client`` is an ``AdminClient`` (live hub) or a ``ReplayClient`` (recording).
    ``panels=None`` asks the installed plugins (``register_console_panels``)."""

    CSS_PATH = "console.tcss"
    ENABLE_COMMAND_PALETTE = True
    # our own palette binding (Textual adds its English one only when a class has none);
    # ``localize`` gives it the console's words for the footer
    BINDINGS = [Binding(App.COMMAND_PALETTE_BINDING, "command_palette", "key.palette",
                        show=False, priority=True, tooltip="cmd.search")]
    online: reactive[bool] = reactive(True)
    unauthorized: reactive[bool] = reactive(False)  # the hub answers but refuses our token

    def __init__(self, client: ConsoleClient, locale: str = "ru", *,
                 panels: Sequence[ConsolePanel] | None = None, refresh_s: float = 3.0,
                 own_client: bool = False) -> None:
        locale = locale if locale in LOCALES else "ru"
        localize(self, locale)  # before App.__init__, which builds the bindings
        super().__init__()
        self.client: Any = client
        self.locale = locale
        self.refresh_s = refresh_s
        self.own_client = own_client
        self.event_signal: Signal[EventRecord] = Signal(self, "kassa-events")
        self.title = self.t("app.title")
        self.modes: dict[str, tuple[str, str]] = {}  # mode -> (title, help) for the palette
        self.mode_keys: dict[str, str] = {}  # key -> mode
        self._requested_panels = panels
        self._told: set[str] = set()
        for mode, (key, screen_cls) in SCREENS.items():
            self._add_screen(mode, key, partial(screen_cls), self.t(f"screen.{mode}"),
                             self.t(f"help.{mode}"))
        self.bind("q", "quit", description=self.t("key.quit"))

    def t(self, key: str, **kw: object) -> str:
        return t(key, self.locale, **kw)

    def _add_screen(self, mode: str, key: str | None, factory: Any, title: str,
                    help_text: str) -> None:
        self.add_mode(mode, factory)
        self.modes[mode] = (title, help_text)
        if key:
            self.bind(key, f"show('{mode}')", description=title)
            self.mode_keys[key] = mode

    def on_mount(self) -> None:
        self._add_panels()
        self.switch_mode("dashboard")
        self.follow_events()

    def _add_panels(self) -> None:
        panels = self._requested_panels
        if panels is None:
            try:
                from kassa.plugins import get_plugins

                panels = get_plugins().console_panels()
            except Exception as exc:  # a broken plugin must not keep the console from starting
                self.notify(self.t("err.panel", name="?", error=exc), severity="error")
                panels = []
        taken = {key for key, _ in SCREENS.values()} | {"q"}
        for panel in panels:
            if hasattr(panel, "locale"):  # ConsolePanel: its title in the console's locale
                panel.locale = self.locale
            mode = f"panel-{panel.name}"
            key: str | None = panel.key
            if key in taken or not key:
                self.notify(self.t("err.key_taken", letter=key, name=panel.name),
                            severity="warning")
                key = None
            else:
                taken.add(key)
            self._add_screen(mode, key, partial(self._panel_screen, panel), panel.title,
                             self._panel_help(panel))

    def _panel_help(self, panel: ConsolePanel) -> str:
        """The palette's line under a panel: the plugin's ``<plugin>.console_help`` text
        (``register_texts``) in the console's locale, else the panel's title."""
        from kassa import i18n

        key = f"{i18n.namespace(panel.name)}.console_help"
        text = i18n.t(key, self.locale)
        return str(panel.title) if text == key else text

    def _panel_screen(self, panel: ConsolePanel) -> Screen[Any]:
        try:
            return panel.screen(self.client)  # type: ignore[no-any-return]
        except Exception as exc:
            self.notify(self.t("err.panel", name=panel.name, error=exc), severity="error")
            return Screen()

    def action_show(self, mode: str) -> None:
        if mode in self.modes:
            # a modal (event detail) belongs to the screen under it: close it first
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self.switch_mode(mode)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for mode, (title, help_text) in self.modes.items():
            yield SystemCommand(title, help_text, partial(self.action_show, mode))
        # Textual's own commands, in the console's language (Textual writes them in English)
        for cmd in super().get_system_commands(screen):
            key = f"cmd.{cmd.title.lower()}"
            title, help_text = self.t(key), self.t(f"{key}.help")
            yield cmd if title == key else SystemCommand(title, help_text, cmd.callback,
                                                         cmd.discover)

    def action_command_palette(self) -> None:
        app: Any = self  # textual types is_open for App[object]
        if self.use_command_palette and not CommandPalette.is_open(app):
            self.push_screen(CommandPalette(id="--command-palette",
                                            placeholder=self.t("cmd.search")))

    # --- talking to the hub ------------------------------------------------------------------
    async def ask(self, call: Awaitable[T]) -> T | None:
        """Await an API call; on failure tell the operator (banner or toast) and give None."""
        try:
            result = await call
        except HubUnavailable as exc:
            self._went_offline(exc)
            return None
        except ApiError as exc:
            self._api_error(exc)
            return None
        self.online = True
        self.unauthorized = False
        self._told.clear()
        return result

    def _api_error(self, exc: ApiError) -> None:
        if exc.status == 401:  # not "unreachable": the hub is there, the token is wrong
            self.unauthorized = True
            self.online = False
            self._tell_once(self.t("err.unauthorized", address=self.client.address))
        else:
            self._tell_once(self.t("err.api", error=exc))

    def _tell_once(self, text: str) -> None:
        """A failing refresh repeats every few seconds; say it once until something works."""
        if text not in self._told:
            self._told.add(text)
            self.notify(text, severity="error")

    async def attempt(self, call: Awaitable[Any]) -> bool:
        """Like ``ask`` for calls that answer nothing: True when it worked."""
        ok = False

        async def run() -> bool:
            nonlocal ok
            await call
            ok = True
            return ok

        await self.ask(run())
        return ok

    def _went_offline(self, exc: Exception) -> None:
        if self.online:
            self.notify(self.t("err.unavailable", error=exc), severity="error")
        self.online = False

    def _link_state(self, online: bool) -> None:
        self.online = online

    @work(group="stream", exclusive=True, exit_on_error=False)
    async def follow_events(self) -> None:
        """One stream for the whole app; screens subscribe to ``event_signal``."""
        try:
            async for rec in self.client.stream_events(on_state=self._link_state):
                self.event_signal.publish(rec)
        except ApiError as exc:  # e.g. a wrong token: retrying will not help
            self.online = False
            self._api_error(exc)

    async def on_unmount(self) -> None:
        if self.own_client:
            await self.client.aclose()
