"""App hooks: settings, lifecycle, CLI, HTTP routes, console panels, simulators, migrations."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    import click

    from kassa.journal import Journal
    from kassa.model import Event, EventKinds, Message, Site
    from kassa.services import DeviceService, FiscalService, PaymentService

S = TypeVar("S")
T = TypeVar("T")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware now."""
        ...


class HubAPI(Protocol):
    """What the running hub offers to plugins (``kassa.hub.Hub`` implements it)."""

    settings: Any  # kassa.config.Settings
    clock: Clock
    kinds: EventKinds  # every declared event kind (register_event_kinds), by name
    # actions that must never happen twice, through the journal (docs/journal.md)
    journal: Journal  # every side-effecting component call, by idempotency key
    fiscal: FiscalService  # receipts, shifts, cash in/out on the site's/station's register
    payments: PaymentService  # account payments and card terminals
    devices: DeviceService  # printers, scales, video; iterating it gives every device

    @overload
    def section(self, name: str) -> Any: ...

    @overload
    def section(self, name: str, cls: type[S]) -> S: ...

    def section(self, name: str, cls: type[S] | None = None) -> Any:
        """The settings object a plugin registered under ``name`` (its defaults when the
        table is absent from kassa.toml). Without ``cls``: ``None`` if no plugin registered
        ``name``. With ``cls`` (the attrs class given to ``register_settings``): typed for
        mypy, ``cls()`` when nothing is registered, and a ``TypeError`` if the section holds
        something else."""
        ...

    def state(self, owner: str | object) -> dict[str, Any]:
        """A plugin's own mutable state for this hub's lifetime (``owner``: the plugin's name
        or its module), the same dict at every call: what a plugin would otherwise keep in a
        module-level registry keyed by hub (its engine, caches, started services)."""
        ...

    def component(self, concern: str, name: str) -> Any:
        """The registered component of ``concern`` (source, channel, fiscal, payment,
        loyalty, device) called ``name``; ``LookupError`` (naming what exists) if none is."""
        ...

    def components(self, concern: str) -> list[Any]:
        """Every registered component of ``concern``, in registration order."""
        ...

    async def write_sync(self, fn: Callable[[Any], T], *, durable: bool = True) -> T:
        """Run ``fn(conn)`` in one write transaction and return its result; ``conn`` is a
        synchronous SQLAlchemy ``Connection`` and ``fn`` must not block on anything but the
        database. On a SQLite file the whole transaction is one hop to a worker thread on a
        plain sqlite3 connection (through ``transaction()`` every statement is a hop); on
        PostgreSQL it runs in ``transaction()``. Commits if ``fn`` returns, rolls back if it
        raises. Serialised with ``transaction()`` by the single-writer lock on SQLite.
        ``durable=False``: the commit is not flushed to the disk (it survives the process
        being killed, not a power cut until the next durable commit, which carries it: for
        frequent writes whose loss with the power is harmless)."""
        ...

    def site(self, code: str) -> Site:
        """A site's name and time zone (the code itself as the name if it is not configured)."""
        ...

    def site_section(self, site: str, name: str) -> Any:
        """The per-site settings object registered as ``sites.<name>`` for one site."""
        ...

    def emit(self, event: Event, *, conn: Any = None) -> Awaitable[bool]:
        """Persist and dispatch an event; ``False`` if it was a duplicate (its site and
        source key are in the log).

        With ``conn`` the event (and the messages the router decides for it) is written in
        the caller's own write transaction and goes downstream (outbox workers, relay,
        ``on_event``) only after that transaction commits: a rollback leaves no trace, a
        crash after the commit is caught up at the next start like any logged event.
        ``conn`` is either ``transaction()``'s (``await hub.emit(ev, conn=conn)``) or the
        one ``write_sync`` hands its function, which is synchronous: there call
        ``hub.emit(ev, conn=conn)`` without ``await``; the row is written at the call.
        The event then skips the bus (it is already where the bus would take it)."""
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
    """A screen a plugin adds to the operator console. A panel with a ``locale`` attribute
    gets the console's locale there before the console reads ``title``."""

    name: str
    key: str  # a single key that opens it

    @property
    def title(self) -> str:
        """The screen's title; read after ``locale`` is set, so it may depend on it."""
        ...

    def screen(self, client: Any) -> Any:
        """Return a ``textual.screen.Screen`` bound to the admin API ``client``."""
        ...


@hookspec
def register_settings() -> Mapping[str, type]:
    """Called once when config is loaded. Return ``{section: attrs class}``.

    A key ``"x"`` is the top-level table ``[x]``; a key ``"sites.x"`` is a table inside each
    ``[[sites]]`` entry. Unknown keys inside a section are config errors. Sync only (config
    is read before any event loop runs): ``async def`` fails load.
    """


@hookspec
def register_migrations() -> Mapping[str, str | Path]:
    """Called when the store is opened (start-up, ``kassa db upgrade``, ``kassa db status``).
    Return ``{plugin name: its alembic versions folder}`` for a plugin that keeps tables.

    The folder holds one alembic branch: its first revision has ``branch_labels =
    ("<plugin name>",)``, ``down_revision = None`` and ``depends_on = "<core revision it
    needs>"``; later ones revise it as usual. On SQLite every branch is upgraded at start;
    PostgreSQL refuses to start while any branch is behind and ``kassa db upgrade`` runs them.
    ``kassa db status`` lists each branch's current and head revision. Sync only.
    """


@hookspec
def register_texts() -> Mapping[str, Mapping[str, str | Mapping[str, str]]]:
    """Called once when the hub is built (and by the CLI). Return the texts people read,
    ``{locale: {key: text}}`` for ``"ru"`` and ``"en"``; each key starts with the plugin's
    name (``"bonus.help.balance"``), so plugins never overwrite the core's or each other's.
    A text is a ``str.format`` template, or ``{"one": .., "few": .., "many": .., "other": ..}``
    for a count (Babel's plural rules pick the form: ``t(key, count=n)``). Look texts up with
    ``ctx.t(key)`` in a chat command or ``kassa.i18n.t(key, locale)``; a
    ``ChatCommand.description`` may be such a key. Sync only: it must return its result
    (not an awaitable). See docs/event-kinds.md.

    Example::

        @hookimpl
        def register_texts():
            return {"ru": {"acme.help.door": "открыть дверь"},
                    "en": {"acme.help.door": "open the door"}}
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
    Keep imports inside the commands: ``kassa --help`` must stay fast. Sync only."""


@hookspec
def register_routes(hub: HubAPI) -> Sequence[Any]:
    """Called when the HTTP server starts. Return Litestar route handlers or Routers.
    They are mounted on the hub's HTTP app as they are (choose a path prefix of your own).
    May be async."""


@runtime_checkable
class Console(Protocol):
    """The operator console as a whole (the ``kassa-console`` distribution provides it)."""

    async def attach(self, client: Any, locale: str) -> None:
        """Run in the current event loop until the operator quits. ``client`` is a
        ``kassa.api.client.AdminClient`` of the running hub; the caller keeps owning it."""
        ...


@hookspec
def register_console_panels() -> Sequence[ConsolePanel]:
    """Called when the console starts. Return extra screens, each checked against
    ``ConsolePanel`` at once. Sync only."""


@hookspec(firstresult=True)
def register_console() -> Console | None:
    """Called by ``kassa run --console`` and ``kassa demo``. Return the operator console; the
    first plugin that returns one wins. With none installed those commands say to install
    ``kassa-console`` (``kassa demo --headless`` needs no console). Sync only."""


@runtime_checkable
class Demo(Protocol):
    """A named demo beside the restaurant one: ``kassa demo --<name> [its options]`` runs
    ``command()``, with ``--headless``, ``--seconds``, ``--locale`` and ``-v`` passed on when
    given (the command declares them)."""

    name: str  # the flag: "chain" is ``kassa demo --chain``

    def command(self) -> click.Command:
        """The demo's click command (build it here, import what it needs inside)."""
        ...


@hookspec
def register_demos() -> Sequence[Demo]:
    """Called by ``kassa demo --<name>``. Return named demos (a chain of store processes,
    say) that need more than ``register_simulators`` gives; each is checked against
    ``Demo``. Sync only."""


@hookspec
def register_simulators(settings: Any) -> Sequence[Simulator]:
    """Called by ``kassa demo`` and tests. Return simulators of the external systems this
    plugin talks to; ``settings`` carries ``demo`` options (sites, speed). May be async; each
    is checked against ``Simulator``."""
