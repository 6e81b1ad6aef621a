"""The chain's two hub services, started by ``on_startup`` and kept running by the hub's
supervisor (``hub.spawn``: a crash is logged and the service restarted with backoff; the hub
and the tills go on).

- A **store** (``[pos.chain] nats`` set, ``centre`` false): numbers the finished documents
  (``outbox.number``) and publishes them into the store's own stream (``outbox.publish``),
  then records the link for the till (``link.record``). It is woken by the hub's own events:
  a sale, a return or a shift close each log a ``pos_*`` event, which the service hears on
  ``hub.listen()`` in the same process, so a document leaves within a fraction of a second;
  every ``interval`` seconds it also runs unasked (a write without an event; the retry while
  the store's NATS is down). Polling alone would either lag or cost a round a second.
  A store that knows its centre (``central`` set) also runs ``refdata_stream.RefConsumer``
  beside the rounds: the centre's reference packages (catalog, prices) applied and acked;
  and every store runs ``plu_upload.PluLoader``: the applied PLU table into its label
  scales, at start, after each applied package and every ``interval`` until each took it.
- The **centre** (``centre = true``): keeps ``CHAIN`` sourcing every store's stream
  (``ingest.ensure_streams``), consumes it with a durable pull consumer, applies each document
  with ``ingest.apply`` in its own transaction and acks after the commit; every few seconds it
  reads the stream's source info (JetStream's lag and last contact per store) for the
  console's Stores screen and raises ``site_offline`` / ``site_online`` for a store out of
  reach longer than ``offline_after`` (``Reach``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta, tzinfo
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import sqlalchemy as sa
from attrs import define, field
from kassa.errors import UserError
from kassa.model import Event
from kassa.model.event import EventKind
from kassa.secret import redact
from kassa.supervision import describe

from kassa_pos.chain import link, outbox
from kassa_pos.chain.config import check_code, stream_name
from kassa_pos.settings import ChainSettings, PosSettings

log = logging.getLogger("kassa_pos.chain.service")
CENTRE = "pos.chain.centre"  # hub.state: what the centre last saw (the Stores screen)
REACH_S = 10.0  # JetStream's last contact with a source this recent: the store is reachable
WATCH_S = 5.0  # how often the centre reads the sources' state
WAKE_DEBOUNCE_S = 0.05  # a sale logs a burst of events: one round for all of them
DUPLICATE_WINDOW_S = 120.0
CONNECT_S = 2.0


def safe_url(url: str) -> str:
    """The URL without user and password (what the till and the log may show)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<url>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _clean(hub: Any, text: str, url: str) -> str:
    text = text.replace(url, safe_url(url)) if url else text
    secrets = hub.secret_values() if hasattr(hub, "secret_values") else []
    return redact(text, secrets)


def link_errors() -> tuple[type[BaseException], ...]:
    """What a dead or unreachable NATS server raises (the link's state, not a bug)."""
    import nats.errors

    return (nats.errors.Error, OSError, TimeoutError)


Connect = Callable[[str], Awaitable[Any]]


async def connect(url: str) -> Any:
    """A client that hardly reconnects by itself: a lost server ends the round, the
    service's own loop dials again (and tells the till meanwhile)."""
    import nats

    async def quiet(exc: Exception) -> None:  # the service reports it, once per round
        log.debug("nats: %s", exc)

    # not allow_reconnect=False: with it nats-py's first connect to a dead server never
    # returns (nats-py 2.16); one attempt fails at once with NoServersError
    with anyio.fail_after(CONNECT_S + 3):  # and whatever else: a timeout is a link error
        return await nats.connect(url, connect_timeout=CONNECT_S, max_reconnect_attempts=1,
                                  reconnect_time_wait=0.5, error_cb=quiet)


async def close_quietly(nc: Any) -> None:
    if nc is None:
        return
    with anyio.CancelScope(shield=True), anyio.move_on_after(2):
        try:
            await nc.close()
        except Exception as exc:  # already gone: nothing to release
            log.debug("closing nats: %s", describe(exc))


async def _in_group(*jobs: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``jobs`` together until one fails; its exception comes out as itself (not an
    ExceptionGroup), so the supervisor's one line names it."""
    try:
        async with anyio.create_task_group() as tg:
            for job in jobs:
                tg.start_soon(job)
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise


def store_site(hub: Any, pos: PosSettings) -> str:
    """The store's site: ``[pos] store``, else the hub's only site."""
    if pos.store:
        return pos.store
    sites = [s.code for s in hub.settings.sites]
    if len(sites) != 1:
        raise ValueError("[pos] store is not set and the hub has "
                         f"{len(sites)} sites: say which one is the store")
    return str(sites[0])


class StoreService:
    """Numbers, publishes, records the link; ``run`` until cancelled."""

    def __init__(self, hub: Any, cfg: ChainSettings, *, code: str, site: str,
                 connect: Connect = connect) -> None:
        self.hub = hub
        self.cfg = cfg
        self.code = check_code(code)
        self.site = site
        self.stream = cfg.stream or stream_name(code)
        self.connect = connect
        self.wake = anyio.Event()
        self.rounds = 0  # finished rounds, whatever their outcome (tests wait on it)
        self._nc: Any = None
        self._js: Any = None
        from kassa_pos.chain.plu_upload import PluLoader
        from kassa_pos.chain.refdata_stream import RefConsumer

        self.plu = PluLoader(hub, site=site, interval=cfg.interval)
        # its own connection: the centre out of reach must not look like the store's NATS
        # down to the till; an applied package wakes the round, which sends its version up,
        # and the PLU loader (a plu package goes into the label scales)
        self.refs = RefConsumer(hub, code=self.code, url=cfg.nats, connect=connect,
                                on_applied=self._applied)

    def _applied(self) -> None:
        self.wake.set()
        self.plu.wake.set()

    async def run(self) -> None:
        listen = getattr(self.hub, "listen", None)
        queue = listen() if listen is not None else None
        jobs = [self._rounds] if queue is None else [self._rounds, partial(self._hear, queue)]
        jobs.append(self.plu.run)
        if self.cfg.central:
            jobs.append(self.refs.run)
        try:
            await _in_group(*jobs)
        finally:
            if queue is not None:
                self.hub.unlisten(queue)
            await close_quietly(self._nc)
            self._nc = self._js = None

    async def _rounds(self) -> None:
        while True:
            await self.round()
            with anyio.move_on_after(self.cfg.interval):
                await self.wake.wait()
            await anyio.sleep(WAKE_DEBOUNCE_S)
            self.wake = anyio.Event()

    async def _hear(self, queue: Any) -> None:
        while True:
            _seq, event = await queue.get()
            if event.kind.startswith("pos_") and event.site == self.site:
                self.wake.set()

    async def round(self) -> link.LinkState:
        """One round: number, publish, record. The link's failure is the link's state;
        anything else is a bug and goes to the supervisor (recorded first)."""
        try:
            async with self.hub.store.read() as conn:
                new = await conn.run_sync(lambda c: outbox.anything_new(c, self.site))
            if new:
                await self.hub.write_sync(lambda c: outbox.number(c, self.code, self.site))
            sent = await self._publish()
            state = await self._state(online=True, error="")
            if sent:
                log.info("chain: %d document(s) of store %s published", sent, self.code)
        except link_errors() as exc:
            await close_quietly(self._nc)
            self._nc = self._js = None
            state = await self._state(online=False, error=_clean(
                self.hub, f"{safe_url(self.cfg.nats)}: {describe(exc)}", self.cfg.nats))
        except Exception as exc:
            await self._state(online=False, error=_clean(self.hub, describe(exc),
                                                         self.cfg.nats))
            raise
        finally:
            self.rounds += 1
        return state

    async def _publish(self) -> int:
        if self._js is None:
            self._nc = await self.connect(self.cfg.nats)
            self._js = self._nc.jetstream(domain=self.code)
            await self._ensure_stream()
        return await outbox.publish(self._js, self.hub.store, now=self.hub.clock.now)

    async def _ensure_stream(self) -> None:
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        try:
            await self._js.stream_info(self.stream)
        except NotFoundError:
            await self._js.add_stream(StreamConfig(
                name=self.stream, subjects=[f"chain.{self.code}.>"],
                duplicate_window=DUPLICATE_WINDOW_S))
            log.info("chain: created stream %s in domain %s", self.stream, self.code)

    async def _state(self, *, online: bool, error: str) -> link.LinkState:
        pending = await self.pending()
        old = link.link(self.hub)
        since = old.since if old is not None and old.online == online else self.hub.clock.now()
        if old is None or old.online != online:
            if online:
                log.info("chain: store %s link up (%s)", self.code, safe_url(self.cfg.nats))
            else:
                log.warning("chain: store %s link down: %s; %d document(s) wait",
                            self.code, error, pending)
        state = link.LinkState(online=online, pending=pending, since=since, error=error)
        link.record(self.hub, state)
        return state

    async def pending(self) -> int:
        """Documents numbered but not acknowledged by the stream yet."""
        from kassa.store.cursor import Cursor

        pos = await Cursor(self.hub.store, outbox.CURSOR, now=self.hub.clock.now).get() or 0
        async with self.hub.store.read() as conn:
            n = (await conn.execute(sa.select(sa.func.count()).select_from(outbox.out_t)
                                    .where(outbox.out_t.c.n > pos))).scalar_one()
        return int(n)


# --- the centre ------------------------------------------------------------------------


@define
class Reach:
    """Which stores are out of reach, and the alerts that says. ``observe`` takes what
    JetStream reports for a store's source (seconds since its last contact; None: never
    seen since the centre's stream was made) and returns the events to emit: one
    ``site_offline`` per outage once it has lasted ``offline_after``, one ``site_online``
    when the store is heard again. The outage's start keys both, so a restart of the centre
    (``restore``) neither repeats nor loses them."""

    offline_after: float
    started: datetime  # when the centre began watching: a store never heard counts from it
    alerted: dict[str, datetime] = field(factory=dict)  # store -> its outage's start

    def restore(self, store: str, since: datetime) -> None:
        self.alerted[store] = since

    def observe(self, store: str, silent_s: float | None, now: datetime) -> list[Event]:
        heard = self.started if silent_s is None else now - timedelta(seconds=silent_s)
        heard = heard.replace(microsecond=0)  # the key of one outage: stable between reads
        silent = (now - self.started).total_seconds() if silent_s is None else silent_s
        if store in self.alerted:
            since = self.alerted[store]
            # back: heard recently, and after the outage began (not the same silence read
            # again a moment later, whatever offline_after is)
            if (silent_s is not None and silent_s < REACH_S
                    and now - timedelta(seconds=silent_s) > since + timedelta(seconds=1)):
                del self.alerted[store]
                return [Event.of(site=store, kind=EventKind.SITE_ONLINE, occurred_at=now,
                                 source_key=f"chain-online:{store}:{since.isoformat()}",
                                 data={"chain": True, "since": since.isoformat(),
                                       "down_s": round((now - since).total_seconds())})]
            return []
        if silent >= self.offline_after:
            self.alerted[store] = heard
            return [Event.of(site=store, kind=EventKind.SITE_OFFLINE, occurred_at=now,
                             source_key=f"chain-offline:{store}:{heard.isoformat()}",
                             reason=f"no contact for {round(silent)} s",
                             data={"chain": True, "since": heard.isoformat(),
                                   "silent_s": round(silent)})]
        return []


@define
class SourceState:
    """One store as the centre's stream sees it (JetStream's ``sources`` of ``CHAIN``)."""

    store: str
    lag: int = 0  # messages in the store's stream not yet in CHAIN
    silent_s: float | None = None  # seconds since the last contact; None: never
    error: str = ""

    @property
    def online(self) -> bool:
        return self.silent_s is not None and self.silent_s < REACH_S


def sources(info: Any, stores: list[str]) -> dict[str, SourceState]:
    """``StreamInfo.sources`` by store (``CHAIN_S01`` -> ``S01``); ``active`` is in ns and
    -1 while the source was never reached."""
    names = {stream_name(s): s for s in stores}
    out = {s: SourceState(store=s) for s in stores}
    for src in getattr(info, "sources", None) or []:
        store = names.get(src.name)
        if store is None:
            continue
        active = src.active if src.active is not None else -1
        err = src.error or {}
        out[store] = SourceState(store=store, lag=int(src.lag or 0),
                                 silent_s=None if active < 0 else active / 1e9,
                                 error=str(err.get("description", "")) if err else "")
    return out


class CentreService:
    """Ingests ``CHAIN`` into the hub's PostgreSQL; watches the stores' reach."""

    def __init__(self, hub: Any, cfg: ChainSettings, *, connect: Connect = connect,
                 watch_s: float = WATCH_S, batch: int = 256) -> None:
        self.hub = hub
        self.cfg = cfg
        self.connect = connect
        self.watch_s = watch_s
        self.batch = batch
        self.reach = Reach(cfg.offline_after, started=hub.clock.now())
        self.restored = False
        self.applied = 0  # documents applied since start (tests wait on it)
        self.watched = 0  # finished watch rounds
        self._zones: dict[str, tzinfo] = {}
        self._told: set[str] = set()  # the return conflicts already alerted

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.hub.state(CENTRE))

    async def run(self) -> None:
        from kassa_pos.chain.ingest import ensure_streams

        nc = await self.connect(self.cfg.nats)
        try:
            js = nc.jetstream()
            await ensure_streams(js, list(self.cfg.stores), stream=self.cfg.centre_stream)
            sub = await js.pull_subscribe("chain.>", durable=self.cfg.durable,
                                          stream=self.cfg.centre_stream)
            log.info("chain centre: ingesting %s (%s) for stores %s",
                     self.cfg.centre_stream, self.cfg.durable, ", ".join(self.cfg.stores))
            if not self.restored:
                await self._restore()
            from kassa_pos.chain.xreturns import serve

            await serve(nc, self.hub.engine)  # returns in any store: ends with ``nc``
            await _in_group(partial(self._watch, js, sub), partial(self._consume, sub))
        finally:
            await close_quietly(nc)

    async def _consume(self, sub: Any) -> None:
        """``ingest.ingest``'s loop on one subscription kept open (it subscribes anew at each
        call): decode, apply, ack after the commit. A fetched batch is applied in one
        transaction (``apply_many``: per till in order, repeats dropped inside it too), so
        a store catching up costs one commit per batch, not per document; a failure rolls
        the batch back and naks it (redelivered at once; after a crash, after the ack wait)."""
        import nats.errors

        from kassa_pos.chain.documents import ChainDoc
        from kassa_pos.chain.ingest import apply_many

        while True:
            try:
                msgs = await sub.fetch(self.batch, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            good = []
            for msg in msgs:
                try:
                    good.append((msg, ChainDoc.decode(msg.data)))
                except ValueError as exc:
                    log.error("%s on %s: kept aside", exc, msg.subject)
                    await msg.term()
            applied = 0
            if good:
                try:
                    async with self.hub.engine.begin() as conn:
                        applied = len(await apply_many(conn, [doc for _msg, doc in good],
                                                       now=self.hub.clock.now(),
                                                       zone=self.zone))
                except Exception:
                    # rolled back (the database went away, say): the batch goes back at
                    # once, not after JetStream's ack wait (30 s); the job restarts
                    for msg, _doc in good:
                        with contextlib.suppress(Exception):
                            await msg.nak()
                    raise
            for msg, _doc in good:
                await msg.ack()  # after the commit: a crash in between only redelivers
            self.applied += applied

    def zone(self, store: str) -> tzinfo:
        """The store's time zone (its ``[[sites]]`` entry): the analysis' local day."""
        name = self.hub.site(store).timezone
        if name not in self._zones:
            try:
                self._zones[name] = ZoneInfo(name)
            except (ValueError, ZoneInfoNotFoundError):
                log.error("chain centre: store %s: unknown time zone %r; Moscow time used",
                          store, name)
                self._zones[name] = ZoneInfo("Europe/Moscow")
        return self._zones[name]

    async def _watch(self, js: Any, sub: Any) -> None:
        while True:
            await self.watch(js, sub)
            await anyio.sleep(self.watch_s)

    async def watch(self, js: Any, sub: Any = None) -> list[Event]:
        """Read the sources' state, keep it for the screen, emit the alerts it calls for."""
        info = await js.stream_info(self.cfg.centre_stream)
        states = sources(info, list(self.cfg.stores))
        waiting = None
        if sub is not None:
            try:
                waiting = int((await sub.consumer_info()).num_pending or 0)
            except link_errors():
                waiting = None
        now = self.hub.clock.now()
        log.debug("chain centre: sources %s", states)
        events = [e for s in states.values() for e in self.reach.observe(s.store, s.silent_s,
                                                                         now)]
        for e in events:
            log.warning("chain centre: store %s %s", e.site,
                        "out of reach" if e.kind == EventKind.SITE_OFFLINE else "back")
            await self.hub.emit(e)
        from kassa_pos.chain.xreturns import conflict_events

        async with self.hub.engine.connect() as conn:  # returns beyond what was sold
            for e in await conflict_events(conn, self._told):
                await self.hub.emit(e)
        st = self.hub.state(CENTRE)
        st.update(sources=states, waiting=waiting, at=now,
                  offline={k: v for k, v in self.reach.alerted.items()})
        self.watched += 1
        return events

    async def _restore(self) -> None:
        """The last chain alert of each store: an outage already told is not told again."""
        kinds = [str(EventKind.SITE_OFFLINE), str(EventKind.SITE_ONLINE)]
        for store in self.cfg.stores:
            events = [e for e in await self.hub.events(site=store, kinds=kinds)
                      if e.data.get("chain")]
            if events and events[-1].kind == EventKind.SITE_OFFLINE:
                since = events[-1].data.get("since")
                if isinstance(since, str):
                    self.reach.restore(store, datetime.fromisoformat(since))
        self.restored = True


def start(hub: Any) -> None:
    """``on_startup``: the store's or the centre's service, when ``[pos.chain]`` asks."""
    pos = hub.section("pos", PosSettings)
    cfg = pos.chain
    if not cfg.nats:
        return
    if cfg.centre:
        if not hub.settings.store_url.startswith("postgresql"):
            raise UserError("[pos.chain] centre needs the hub's store on PostgreSQL "
                             "([store] url = postgresql+psycopg://...)")
        # connect and WATCH_S looked up now: a test swaps them
        centre = CentreService(hub, cfg, connect=connect, watch_s=WATCH_S)
        hub.state(CENTRE)["service"] = centre
        hub.spawn(centre.run, name="pos chain centre")
        return
    try:
        site = store_site(hub, pos)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    store = StoreService(hub, cfg, code=site, site=site, connect=connect)
    hub.state(link.OWNER)["service"] = store
    hub.spawn(store.run, name="pos chain outbox")
