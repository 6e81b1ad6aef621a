"""The runtime: one anyio task group wiring sources -> bus -> event log -> on_event ->
router -> format_message -> outbox -> channels, and chat updates -> inbox -> commands.

Use it as ``async with Hub(settings) as hub: ...``; leaving the block stops sources first,
lets the event log and (for a while) the outbox drain, then stops the rest. Nothing is lost:
what is not delivered stays in the outbox table for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar, overload

import anyio
from anyio.abc import TaskGroup
from sqlalchemy.ext.asyncio import AsyncConnection

from kassa import eventlog, i18n, kinds, services
from kassa.bus import make_bus
from kassa.config import Settings
from kassa.decide import decide
from kassa.hookspecs.events import EventSource
from kassa.hookspecs.notify import Channel
from kassa.journal import Journal
from kassa.listeners import Listeners
from kassa.model import ChatRef, Event, Message, Site
from kassa.model.event import use_kinds
from kassa.outbox import Outbox, outbox_row
from kassa.plugin_tasks import PluginTasks
from kassa.plugins import Plugins, get_plugins
from kassa.routing import Router
from kassa.secret import Secret, redact
from kassa.store import Store
from kassa.supervision import Backoff, DeviceKeeper, Supervisor

log = logging.getLogger("kassa.hub")
S = TypeVar("S")
T = TypeVar("T")


class _Tx:
    """A write transaction the hub handed out: the events emitted in it, held to its commit."""

    __slots__ = ("chats", "new", "returned")

    def __init__(self) -> None:
        self.new: list[tuple[int, Event]] = []
        self.chats: set[tuple[str, str]] = set()
        self.returned = False  # the body finished: the store commits next


class _Ready:
    """An answer known already, awaitable like ``emit``'s others."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, bool]:
        return self.value
        yield  # a generator: awaiting it does not suspend


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Hub:
    """Implements ``kassa.hookspecs.app.HubAPI`` for plugins."""

    def __init__(self, settings: Settings, *, plugins: Plugins | None = None,
                 clock: Any = None, api: bool | None = None,
                 backoff: Backoff | None = None) -> None:
        self.settings = settings
        self.plugins = plugins or get_plugins()
        self.kinds = kinds.for_hub(self.plugins)  # what register_event_kinds declared
        kinds.check_settings(settings, self.kinds)
        for warning in kinds.warnings(settings, self.kinds):
            log.warning("%s", warning)
        use_kinds(self.kinds)  # Event.of's default severities
        i18n.use(i18n.for_plugins(self.plugins))  # register_texts
        self.clock = clock or SystemClock()
        self.store = Store(settings.store_url, migrations=self.plugins.migrations())
        self.bus = make_bus(settings.bus)
        self.router = Router(settings.chats, settings.hub.locale, kinds=self.kinds)
        self.log = eventlog.EventLog(self.store, decide=self._decide, persisted=self._persisted,
                                     now=self.clock.now)
        self.outbox = Outbox(self.store, settings.outbox, now=self.clock.now,
                             render_job=self._render_job, on_repair=self._on_repair,
                             locale=settings.hub.locale, secrets=self.secret_values)
        self.sources: list[EventSource] = []
        self.payment_methods: dict[str, Any] = {}
        self.loyalty_programs: dict[str, Any] = {}
        self.fiscal_devices: dict[str, Any] = {}
        self.channels: dict[str, Channel] = {}
        self.started_at = time.monotonic()
        self.api_enabled = settings.api.enabled if api is None else api
        self.api_port: int | None = None
        self.api_token: str = ""
        self.commands: Any = None
        self.relay: Any = None
        self.site_state: dict[str, dict[str, Any]] = {}
        # one restart loop for sources, channel loops, outbox workers and spawned jobs
        self.supervisor = Supervisor(backoff)
        self.plugin_tasks = PluginTasks(self.supervisor)  # sources and spawned jobs
        self.device_keeper = DeviceKeeper(emit=self.emit, now=self.clock.now, backoff=backoff,
                                          redact=lambda text: redact(text, self.secret_values()))
        self.journal = Journal(self.store, now=self.clock.now)
        # hub.devices is the device service; iterating it gives the registered devices
        self.fiscal, self.payments, self.devices = services.build(
            settings, self.journal, emit=self.emit, now=self.clock.now)
        self.devices.unavailable = self.device_keeper.unavailable  # no call to a dead device
        self._state: dict[str, dict[str, Any]] = {}  # hub.state(plugin)
        self._open_tx: dict[int, _Tx] = {}  # id(conn) -> its transaction, while it is open
        self._listeners: list[asyncio.Queue[tuple[int, Event]]] = []
        self.event_listeners = Listeners(
            self.store, lambda e: self.plugins.on_event(e, self), now=self.clock.now,
            enabled=bool(self.plugins.on_event_impls()))
        self._tg: TaskGroup | None = None
        self._stack: AsyncExitStack | None = None
        self._sources_scope: anyio.CancelScope | None = None
        self._sites = {s.code: Site(code=s.code, name=s.name or s.code, timezone=s.timezone)
                       for s in settings.sites}
        if logging.getLogger("kassa").level == logging.NOTSET:
            logging.getLogger("kassa").setLevel(logging.INFO)  # the console's Log screen

    # --- HubAPI ----------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        return self.store.engine

    @property
    def locale(self) -> str:
        return self.settings.hub.locale

    @overload
    def section(self, name: str) -> Any: ...

    @overload
    def section(self, name: str, cls: type[S]) -> S: ...

    def section(self, name: str, cls: type[S] | None = None) -> Any:
        value = self.settings.plugins.get(name)
        if cls is None:
            return value
        if value is None:
            return cls()
        if not isinstance(value, cls):
            raise TypeError(f"settings section [{name}] holds {type(value).__name__}, "
                            f"not {cls.__name__}")
        return value

    def state(self, owner: str | object) -> dict[str, Any]:
        key = owner if isinstance(owner, str) else getattr(owner, "__name__", None)
        if not key:
            raise TypeError("hub.state takes a plugin's name or its module")
        return self._state.setdefault(key, {})

    def components(self, concern: str) -> list[Any]:
        found: dict[str, Iterable[Any]] = {
            "source": self.sources, "channel": self.channels.values(),
            "fiscal": self.fiscal_devices.values(), "payment": self.payment_methods.values(),
            "loyalty": self.loyalty_programs.values(), "device": self.devices}
        if concern not in found:
            raise LookupError(f"unknown concern {concern!r}; one of: {', '.join(found)}")
        return list(found[concern])

    def component(self, concern: str, name: str) -> Any:
        comps = self.components(concern)
        for comp in comps:
            if getattr(comp, "name", None) == name:
                return comp
        have = ", ".join(sorted({str(getattr(c, "name", "?")) for c in comps})) or "none"
        raise LookupError(f"no {concern} component named {name!r} (registered: {have})")

    async def write_sync(self, fn: Callable[[Any], T], *, durable: bool = True) -> T:
        tx = _Tx()

        def run(conn: Any) -> T:
            self._open_tx[id(conn)] = tx  # emit(conn=conn) inside fn finds it
            try:
                result = fn(conn)
            finally:
                del self._open_tx[id(conn)]
            tx.returned = True  # what follows is the COMMIT
            return result

        try:
            result = await self.store.write_sync(run, durable=durable)
        except anyio.get_cancelled_exc_class():
            if tx.returned:  # cancelled after the commit (the store's body is shielded)
                self._committed(tx)
            raise
        self._committed(tx)
        return result

    def site(self, code: str) -> Site:
        return self._sites.get(code) or Site(code=code, name=code)

    def site_section(self, site: str, name: str) -> Any:
        s = self.settings.site(site)
        return s.plugins.get(name) if s else None

    def emit(self, event: Event, *, conn: Any = None) -> Awaitable[bool]:
        if conn is None:
            return self.bus.publish(event)
        tx = self._open_tx.get(id(conn))
        if tx is None:
            raise ValueError("hub.emit(conn=...) takes the connection of hub.transaction()"
                             " or the one hub.write_sync hands its function")
        prepared = self.log.prepare([event])
        if isinstance(conn, AsyncConnection):
            return self._emit_async(conn, prepared, tx)
        # write_sync's function is synchronous: the row is written now, the answer is ready
        return _Ready(self._emitted(prepared, eventlog.insert_in(conn, prepared), tx))

    async def _emit_async(self, conn: AsyncConnection, prepared: eventlog.Prepared,
                          tx: _Tx) -> bool:
        return self._emitted(prepared, await conn.run_sync(eventlog.insert_in, prepared), tx)

    def _emitted(self, prepared: eventlog.Prepared, inserted: dict[str, int], tx: _Tx) -> bool:
        """Hold what a transaction's emit wrote until the transaction commits."""
        for event, seq in zip(prepared.events, prepared.seqs(inserted), strict=True):
            if seq is None:
                self.log.duplicates += 1
                return False
            tx.new.append((seq, event))
            tx.chats |= {(r["channel"], r["chat_id"]) for r in prepared.decisions[event.id]}
        return True

    def _committed(self, tx: _Tx) -> None:
        """A transaction with events committed: now they go downstream (the outbox's
        workers, the relay, on_event listeners), as the event log writer's do."""
        if tx.new:
            self.log.written += len(tx.new)
            self._published(tx.new, tx.chats)

    async def events(self, *, site: str | None = None, kinds: Sequence[str] | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     limit: int | None = None) -> list[Event]:
        rows = await eventlog.query(self.store, site=site, kinds=kinds, since=since,
                                    until=until, limit=limit)
        return [e for _, e in rows]

    async def send(self, message: Message, *, key: str, conn: Any = None) -> bool:
        row = outbox_row(message, key=key, now=self.clock.now())
        if conn is None:
            return bool(await self.outbox.put([row]))
        new = await self.outbox.put_in(conn, [row])  # commits with the caller's transaction
        self.outbox.wake({message.chat.channel})
        return bool(new)

    def transaction(self) -> Any:
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection]:
        tx = _Tx()
        try:
            async with self.store.write() as conn:
                self._open_tx[id(conn)] = tx
                try:
                    yield conn
                finally:
                    del self._open_tx[id(conn)]
                tx.returned = True
        except anyio.get_cancelled_exc_class():
            if tx.returned:  # cancelled after the commit (the store's body is shielded)
                self._committed(tx)
            raise
        self._committed(tx)

    def spawn(self, fn: Any, *, name: str) -> None:
        if self._tg is None:
            raise RuntimeError("the hub is not running")

        self._tg.start_soon(partial(self.plugin_tasks.run, fn, f"job {name}"), name=name)

    # --- wiring ----------------------------------------------------------------------------
    def secret_values(self) -> list[str]:
        """Every secret in the settings, so logs and errors can be redacted."""
        out: list[str] = []

        def walk(obj: Any) -> None:
            if isinstance(obj, Secret):
                out.extend(obj.redactable())
            elif hasattr(obj, "__attrs_attrs__"):
                for a in obj.__attrs_attrs__:
                    walk(getattr(obj, a.name))
            elif isinstance(obj, dict):
                for v in obj.values():
                    walk(v)
            elif isinstance(obj, list):
                for v in obj:
                    walk(v)

        walk(self.settings)
        if self.api_token:
            out.append(self.api_token)
        return [s for s in out if s]

    def _decide(self, event: Event) -> list[dict[str, Any]]:
        """The router's decision for a new event, as outbox rows (same transaction)."""
        return decide(self, event)

    async def _persisted(self, new: list[tuple[int, Event]], chats: set[tuple[str, str]]
                         ) -> None:
        self._published(new, chats)

    def _published(self, new: list[tuple[int, Event]], chats: set[tuple[str, str]]) -> None:
        """Committed new events downstream. Synchronous on purpose: called right after its
        commit, before anything else runs, so the consumers get batches in seq order."""
        for _, e in new:
            spec = self.kinds.get(e.kind)
            if spec is not None and (spec.offline or spec.online):
                self.site_state[e.site] = {"online": spec.online, "since": e.occurred_at}
            else:
                st = self.site_state.setdefault(e.site, {"online": True, "since": e.occurred_at})
                st["last_event_at"] = e.occurred_at
                if e.station:
                    st.setdefault("stations", set()).add(e.station)
        self.outbox.notify(chats)
        if self.relay is not None:
            self.relay.notify()
        self.event_listeners.put(new)
        for q in self._listeners:
            for item in new:
                if q.qsize() < 10000:
                    q.put_nowait(item)

    def listen(self) -> asyncio.Queue[tuple[int, Event]]:
        """A queue receiving every new (seq, event); call ``unlisten`` when done."""
        q: asyncio.Queue[tuple[int, Event]] = asyncio.Queue()
        self._listeners.append(q)
        return q

    def unlisten(self, q: asyncio.Queue[tuple[int, Event]]) -> None:
        if q in self._listeners:
            self._listeners.remove(q)

    async def _render_job(self, job: dict[str, Any], chat: ChatRef) -> Message:
        from kassa.reports.service import render_report_job

        return await render_report_job(self, job, chat)

    async def _on_repair(self, channel: str, old: str, new: str) -> None:
        self.router.rename(channel, old, new)
        if self.commands is not None:
            await self.commands.migrated(channel, old, new)

    async def _run_source(self, source: EventSource) -> None:
        """Keep a source running; a crash is logged and the source restarted with backoff."""
        await self.plugin_tasks.run(partial(source.run, self.emit),
                                    f"source {source.name} ({source.site})", source=True)

    # --- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> Hub:
        from kassa.commands import CommandRouter

        self._stack = AsyncExitStack()
        await self._stack.__aenter__()
        try:
            await self.store.prepare()
            await self.event_listeners.prepare()
            self._tg = await self._stack.enter_async_context(anyio.create_task_group())
            await self.bus.start(self.log.submit)
            self._tg.start_soon(self.log.run)
            self._tg.start_soon(self.bus.run)
            self._tg.start_soon(self.event_listeners.run)
            if settings_relay := self.settings.relay.url:
                from kassa.relay import Relay

                self.relay = Relay(self.store, self.settings.relay, clock=self.clock)
                self._tg.start_soon(self.relay.run)
                log.info("relaying events to the centre at %s", settings_relay)
            self.commands = CommandRouter(self)  # checks every chat command's shape
            self.plugins.reports()  # and every report's, so a wrong one fails start, not /report
            await self.commands.load()
            await self.plugins.on_startup(self)
            for ch in await self.plugins.channels(self):
                self.channels[ch.name] = ch
                self._tg.start_soon(partial(self.supervisor.keep_running,
                                            partial(self.outbox.run, ch),
                                            what=f"outbox worker of channel {ch.name}"))
                self._tg.start_soon(partial(self.supervisor.keep_running,
                                            partial(self.commands.run_channel, ch),
                                            what=f"update loop of channel {ch.name}"))
            self._warn_missing_channels()
            await self.commands.resume()
            if self.api_enabled:
                from kassa.api.server import serve, token_for

                self.api_token = token_for(self.settings)  # redacted from logs from now on
                routes = await self.plugins.routes(self)
                self.api_port = await self._tg.start(serve, self, routes)
            self.payment_methods = {m.name: m for m in await self.plugins.payment_methods(self)}
            self.loyalty_programs = {p.name: p for p in await self.plugins.loyalty_programs(self)}
            self.fiscal_devices = {d.name: d for d in await self.plugins.fiscal_devices(self)}
            self.devices.components = await self.plugins.devices(self)
            for dev in self.devices:
                # the first attempt is awaited; a failure leaves the device unavailable and
                # retried in the background, never the hub down
                await self._tg.start(self.device_keeper.run, dev)
            await services.start((self.fiscal, self.payments, self.devices),
                                 fiscal=self.fiscal_devices.values(),
                                 payments=self.payment_methods.values(),
                                 spawn=lambda fn: self.spawn(fn, name="journal reconcile"))
            self.sources = await self.plugins.sources(self)
            self._sources_scope = anyio.CancelScope()
            self._tg.start_soon(self._run_sources)
            self.event_listeners.ready.set()  # all is up: listeners catch up from the log
        except BaseException:
            if self._tg is not None:  # its loops run forever: leaving it would wait on them
                self._tg.cancel_scope.cancel()
            await self._stack.__aexit__(None, None, None)
            raise
        return self

    def _warn_missing_channels(self) -> None:
        """One line per channel that chats name but no installed plugin provides."""
        missing: dict[str, int] = {}
        for channel, _ in self.router.rules:
            if channel not in self.channels:
                missing[channel] = missing.get(channel, 0) + 1
        for channel, n in sorted(missing.items()):
            log.warning("%d chat(s) use channel %r, which no installed plugin provides: their "
                        "messages wait in the outbox until it is installed", n, channel)

    async def _run_sources(self) -> None:
        assert self._sources_scope is not None
        with self._sources_scope:
            async with anyio.create_task_group() as tg:
                for src in self.sources:
                    tg.start_soon(self._run_source, src)

    async def drain(self, timeout: float = 10.0) -> bool:  # noqa: ASYNC109 (returns False)
        """Wait until the event log has committed everything and the outbox has nothing pending;
        ``False`` if that did not happen within ``timeout`` seconds (nothing is cancelled)."""
        with anyio.move_on_after(timeout):
            # the outbox's state is rows in the store: polling it is the only way to know
            # rows for a channel no plugin provides wait for a later start, not for us
            while not self.log.idle() or \
                    not await self.outbox.idle(self.channels):  # noqa: ASYNC110
                await anyio.sleep(0.05)
            return True
        return False

    async def __aexit__(self, *exc: Any) -> None:
        assert self._stack is not None and self._tg is not None
        with anyio.CancelScope(shield=True):
            await self.plugin_tasks.stop(sources=True)  # sources first
            if self._sources_scope is not None:
                self._sources_scope.cancel()
            with anyio.move_on_after(5):
                while not self.log.idle():  # noqa: ASYNC110 (settled futures: no event to wait on)
                    await anyio.sleep(0.02)
            if exc[0] is None:
                await self.drain(timeout=3.0)
            try:
                await self.plugins.on_shutdown(self)
            except Exception:
                log.exception("on_shutdown failed")
            await self.plugin_tasks.stop(sources=False)  # then the plugins' jobs
        # Stop the tasks while no write is under way, so none is cut off half way.
        with anyio.CancelScope(shield=True), anyio.move_on_after(10):
            async with self.store.quiesce():
                self._tg.cancel_scope.cancel()
        for ch in self.channels.values():
            close = getattr(ch, "aclose", None)  # optional: release HTTP clients
            if close is not None:
                with anyio.CancelScope(shield=True):
                    try:
                        await close()
                    except Exception:
                        log.warning("channel %s did not close cleanly", ch.name)
        try:
            await self._stack.__aexit__(*exc)
        finally:
            with anyio.CancelScope(shield=True):
                await self.bus.stop()
                await self.store.close()
