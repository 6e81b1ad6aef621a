"""Event hooks: sources that produce events, and listeners after persistence."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import Event, EventKindSpec

Emit = Callable[["Event"], Awaitable[bool]]


@runtime_checkable
class EventSource(Protocol):
    """Produces events for one site (or several). Runs until cancelled."""

    name: str
    site: str

    async def run(self, emit: Emit) -> None:
        """Call ``await emit(event)`` for each fact; it returns once the event is persisted
        (``False`` for a duplicate). Raise nothing for the other side's faults: report them
        as events (``site_offline``) and keep going. Cancellation means stop."""
        ...

    def health(self) -> dict[str, Any]:
        """Short status for the console and ``/status``: ``{"online": bool, ...}``."""
        ...


@hookspec
def register_sources(hub: HubAPI) -> Sequence[EventSource]:
    """Called at start. Return the event sources this plugin runs for the configured sites.
    May be async. A source whose ``run`` raises is restarted with backoff."""


@hookspec
def register_event_kinds() -> Sequence[EventKindSpec]:
    """Called once when the hub is built (and by ``kassa config check``). Return the kinds of
    event this plugin emits, each a ``kassa.model.EventKindSpec``: a stable snake_case
    ``name``, the default ``severity`` (``Event.of`` uses it), ``title`` {ru, en}, an
    optional ``template`` {ru, en} for the default chat formatter, and the flags
    ``closes_shift``, ``offline``, ``online``, ``printout`` and ``group``. Nothing in the
    core knows a plugin's kinds otherwise; two plugins declaring one name fail start.
    Sync only: it must return its result (not an awaitable). See docs/event-kinds.md.

    Example::

        @hookimpl
        def register_event_kinds():
            return [EventKindSpec("door_opened", severity="warning", group="acme",
                                  title={"ru": "Открыта дверь", "en": "Door opened"})]
    """


@hookspec
def on_event(event: Event, hub: HubAPI) -> None:
    """Called for every new event after it is persisted (never for duplicates), in order.
    May be async. At least once: events a process committed but died before showing its
    listeners are shown at the next start (the ``on_event`` cursor), so key what you do by
    ``event.id``. Errors are logged and counted; they never stop other listeners or the hub."""
