"""App hooks: settings, lifecycle, CLI, HTTP routes, console panels, simulators."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    import click

    from kassa.model import Event, Message, Site


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware now."""
        ...


class HubAPI(Protocol):
    """What the running hub offers to plugins (``kassa.hub.Hub`` implements it)."""

    settings: Any  # kassa.config.Settings
    clock: Clock

    def section(self, name: str) -> Any:
        """The settings object a plugin registered under ``name`` (``None`` if absent)."""
        ...

    def site(self, code: str) -> Site:
        """A site's name and time zone (the code itself as the name if it is not configured)."""
        ...

    def site_section(self, site: str, name: str) -> Any:
        """The per-site settings object registered as ``sites.<name>`` for one site."""
        ...

    async def emit(self, event: Event) -> bool:
        """Persist and dispatch an event; ``False`` if it was a duplicate."""
        ...

    async def events(self, *, site: str | None = None, kinds: Sequence[str] | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int | None = None) -> list[Event]:
        """Events from the log, oldest first."""
        ...

    async def send(self, message: Message, *, key: str, conn: Any = None) -> bool:
        """Queue a message in the outbox; ``key`` makes it idempotent. ``False`` if known.
        With ``conn`` (from ``transaction()``) the row commits with the caller's own writes."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """``async with hub.transaction() as conn:`` a write transaction on the store (a
        SQLAlchemy ``AsyncConnection``). On SQLite it shares the hub's single-writer lock, so
        a plugin's writes never meet 'database is locked'."""
        ...

    def spawn(self, fn: Callable[[], Awaitable[None]], *, name: str) -> None:
        """Run a background job (a scheduler loop, a delivery worker) in the hub's task group
        until shutdown. An exception is logged and the job restarted with backoff."""
        ...

    @property
    def engine(self) -> Any:
        """The SQLAlchemy ``AsyncEngine`` of the store, for plugins that keep their own tables."""
        ...


@runtime_checkable
class Simulator(Protocol):
    """A faithful fake of an external system, for tests and ``kassa demo``."""

    name: str

    async def start(self) -> Mapping[str, Any]:
        """Start serving (on 127.0.0.1, a free port) and return the kassa.toml fragment
        that points the hub at it, e.g. ``{"sites": [{"code": "..", "rkeeper": {...}}]}``.
        Fragments from all simulators are merged: tables merge, arrays concatenate."""
        ...

    async def stop(self) -> None:
        """Stop serving and release the port."""
        ...


@runtime_checkable
class ConsolePanel(Protocol):
    """A screen a plugin adds to the operator console."""

    name: str
    title: str
    key: str  # a single key that opens it

    def screen(self, client: Any) -> Any:
        """Return a ``textual.screen.Screen`` bound to the admin API ``client``."""
        ...


@hookspec
def register_settings() -> Mapping[str, type]:
    """Called once when config is loaded. Return ``{section: attrs class}``.

    A key ``"x"`` is the top-level table ``[x]``; a key ``"sites.x"`` is a table inside each
    ``[[sites]]`` entry. Unknown keys inside a section are config errors.
    """


@hookspec
def on_startup(hub: HubAPI) -> None:
    """Called after the store is ready and before sources start. May be async."""


@hookspec
def on_shutdown(hub: HubAPI) -> None:
    """Called after sources stopped and the outbox drained (or timed out). May be async."""


@hookspec
def register_cli_commands(cli: click.Group) -> None:
    """Called when the ``kassa`` CLI is built. Add ``click`` commands or groups to ``cli``.
    Keep imports inside the commands: ``kassa --help`` must stay fast."""


@hookspec
def register_routes(hub: HubAPI) -> Sequence[Any]:
    """Called when the HTTP server starts. Return Litestar route handlers or Routers.
    They are mounted on the hub's HTTP app as they are (choose a path prefix of your own)."""


@runtime_checkable
class Console(Protocol):
    """The operator console as a whole (the ``kassa-console`` distribution provides it)."""

    async def attach(self, client: Any, locale: str) -> None:
        """Run in the current event loop until the operator quits. ``client`` is a
        ``kassa.api.client.AdminClient`` of the running hub; the caller keeps owning it."""
        ...


@hookspec
def register_console_panels() -> Sequence[ConsolePanel]:
    """Called when the console starts. Return extra screens."""


@hookspec(firstresult=True)
def register_console() -> Console | None:
    """Called by ``kassa run --console`` and ``kassa demo``. Return the operator console; the
    first plugin that returns one wins. With none installed those commands say to install
    ``kassa-console`` (``kassa demo --headless`` needs no console)."""


@hookspec
def register_simulators(settings: Any) -> Sequence[Simulator]:
    """Called by ``kassa demo`` and tests. Return simulators of the external systems this
    plugin talks to; ``settings`` carries ``demo`` options (sites, speed)."""
