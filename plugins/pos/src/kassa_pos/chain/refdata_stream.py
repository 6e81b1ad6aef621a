"""Reference packages over JetStream: the centre's stream ``POS_REF`` and the store's durable
pull consumer on it, reached through the store's leaf in the centre's JetStream domain.

One message per target store on ``pos.ref.<store>.<kind>`` (not one ``all`` message): each
store's consumer filters on its own subject, ``--store`` needs nothing else, a store added
later is not sent packages meant for others. The stream keeps packages for ``MAX_AGE_S``
(not purged per subject after a publish: with nats-server 2.9 a filtered purge moved the
store's durable consumer past the new package, seen in the integration test), so a store
back from an outage applies each package it missed, in order, each once. A package larger
than ``PART_BYTES``
travels in parts (headers ``Kassa-Ref-Part`` / ``Kassa-Ref-Parts``), applied only when every
part of its version is there and the joined body matches its digest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import anyio
from attrs import define, field
from kassa.supervision import describe

from kassa_pos.chain.config import check_code
from kassa_pos.chain.refdata import (
    CATALOG,
    CLIENTS,
    LAYOUT,
    PLU,
    RULES,
    Package,
    RefusedPackage,
    apply_package,
    assign,
    check_body,
    refuse,
    validate,
)
from kassa_pos.engine.catalog_import import CatalogData, ImportReport
from kassa_pos.engine.check import STATE as BOOK_STATE

log = logging.getLogger("kassa_pos.chain.refdata")
STREAM = "POS_REF"
CENTRE_DOMAIN = "hub"  # the centre's nats-server: jetstream { domain: hub }
PART_BYTES = 512 * 1024  # under nats-server's default max_payload (1 MB) with headers
MAX_MSG = 1024 * 1024  # the stream's max_msg_size
DUPLICATE_WINDOW_S = 24 * 3600.0  # a publish retried within a day is dropped by its id
MAX_AGE_S = 90 * 24 * 3600.0  # a store offline longer waits for the next package
# a package delivered to a pull request the cut link then lost comes again after this; a
# longer import keeps its messages with in_progress() (``_keep``)
ACK_WAIT_S = 10.0
OWNER = "pos.chain.ref"  # hub.state: the store's last package outcome (health)
H_KIND, H_VERSION = "Kassa-Ref-Kind", "Kassa-Ref-Version"
H_PART, H_PARTS, H_DIGEST = "Kassa-Ref-Part", "Kassa-Ref-Parts", "Kassa-Ref-Digest"


def subject(store: str, kind: str = CATALOG) -> str:
    return f"pos.ref.{check_code(store)}.{kind}"


def durable(store: str) -> str:
    return f"pos-ref-{check_code(store)}"


def msg_id(kind: str, version: int, store: str, part: int = 1, parts: int = 1) -> str:
    """``Nats-Msg-Id``: ``ref:<kind>:<version>:<store>``, plus ``:<part>`` when in parts."""
    base = f"ref:{kind}:{version}:{store}"
    return base if parts == 1 else f"{base}:{part}"


def split(body: bytes, size: int = PART_BYTES) -> list[bytes]:
    return [body[i:i + size] for i in range(0, len(body), size)] or [b""]


async def ensure_stream(js: Any) -> None:
    from nats.js.api import StreamConfig

    cfg = StreamConfig(name=STREAM, subjects=["pos.ref.>"], max_msg_size=MAX_MSG,
                       duplicate_window=DUPLICATE_WINDOW_S, max_age=MAX_AGE_S)
    try:
        await js.add_stream(cfg)
    except Exception:  # already there (or made by an older version): bring it in line
        await js.update_stream(cfg)


async def send(js: Any, pkg: Package, stores: Sequence[str]) -> int:
    """Publishes ``pkg`` to each store's subject (in parts when large); returns the messages
    sent."""
    await ensure_stream(js)
    parts = split(pkg.encode())
    sent = 0
    for store in stores:
        subj = subject(store, pkg.kind)
        for n, part in enumerate(parts, start=1):
            headers = {"Nats-Msg-Id": msg_id(pkg.kind, pkg.version, store, n, len(parts)),
                       H_KIND: pkg.kind, H_VERSION: str(pkg.version), H_PART: str(n),
                       H_PARTS: str(len(parts)), H_DIGEST: pkg.digest}
            await js.publish(subj, part, headers=headers, stream=STREAM, timeout=10)
            sent += 1
    return sent


async def publish(engine: Any, js: Any, data: CatalogData | Mapping[str, Any],
                  stores: Sequence[str], *, now: datetime, locale: str = "ru",
                  assigned: Callable[[int], object] | None = None,
                  kind: str | None = None) -> tuple[int, int]:
    """The centre's command: check ``data`` (a catalog, or the body of a ``kind`` of
    ``BODY_KINDS``, rules by default: ``RefusedPackage``, nothing recorded or sent), take
    the next version of its kind (``assigned`` hears it), send it; returns (version, parts
    per store)."""
    kind = CATALOG if isinstance(data, CatalogData) else kind or RULES

    def make(version: int) -> Package:
        if isinstance(data, CatalogData):
            return Package.of(data, version)
        return Package.of_rules(data, version, kind)

    if isinstance(data, CatalogData):
        validate(data, locale)
    else:
        check_body(kind, data, locale)
    version = await assign(engine, kind, stores, make(0).digest, now=now,
                           body_of=lambda v: make(v).encode())
    if assigned is not None:
        assigned(version)
    sent = await send(js, make(version), stores)
    return version, sent // max(1, len(stores))


async def send_latest(engine: Any, js: Any, store: str) -> list[tuple[str, int]]:
    """A store opened after the packages went out: the newest package of each kind sent to
    it too (same version; its consumer takes them when it first connects). Returns
    (kind, version) of each."""
    from kassa_pos.chain.refdata import latest

    sent = []
    for pkg in await latest(engine):
        await send(js, pkg, [check_code(store)])
        sent.append((pkg.kind, pkg.version))
    return sent


# --- the store ------------------------------------------------------------------------


@define
class Assembly:
    """The parts of packages received but not complete yet, per (kind, version)."""

    parts: dict[tuple[str, int], dict[int, tuple[bytes, Any]]] = field(factory=dict)

    def add(self, msg: Any) -> tuple[Package | None, list[Any], list[Any], str]:
        """Takes one message; returns (the package if complete, its messages, stale
        messages to ack because a newer version of their kind arrived, an error)."""
        h = msg.headers or {}
        try:
            kind, version = str(h[H_KIND]), int(h[H_VERSION])
            part, of = int(h.get(H_PART, 1)), int(h.get(H_PARTS, 1))
            if not 1 <= part <= of:
                raise ValueError(f"part {part} of {of}")
        except (KeyError, ValueError) as exc:
            return None, [msg], [], f"reference message without its headers: {exc}"
        stale = []
        for key in [k for k in self.parts if k[0] == kind and k[1] < version]:
            stale += [m for _b, m in self.parts.pop(key).values()]
        got = self.parts.setdefault((kind, version), {})
        got[part] = (bytes(msg.data), msg)  # a redelivered part replaces its twin
        if len(got) < of:
            return None, [], stale, ""
        del self.parts[(kind, version)]
        msgs = [got[n][1] for n in sorted(got)]
        try:
            pkg = Package.decode(b"".join(got[n][0] for n in sorted(got)))
        except ValueError as exc:
            return None, msgs, stale, str(exc)
        if pkg.version != version or pkg.kind != kind:
            return None, msgs, stale, f"{kind} package {version}: its body says {pkg.version}"
        return pkg, msgs, stale, ""


class RefConsumer:
    """The store's side: a durable pull consumer on the centre's ``POS_REF`` (its own
    subject only), run next to the outbox rounds in ``StoreService``. A link failure (the
    leaf or the centre unreachable) is retried quietly; anything else is a bug and goes to
    the supervisor."""

    def __init__(self, hub: Any, *, code: str, url: str, connect: Callable[[str], Any],
                 domain: str = CENTRE_DOMAIN, retry_s: float = 2.0,
                 on_applied: Callable[[], None] | None = None) -> None:
        self.hub = hub
        self.code = check_code(code)
        self.url = url
        self.connect = connect
        self.domain = domain
        self.retry_s = retry_s
        self.on_applied = on_applied
        self.assembly = Assembly()
        self.applied = 0  # packages applied since start (tests wait on it)
        self.down = False  # the centre's stream out of reach (logged once)
        self._ignored: set[tuple[str, int]] = set()

    async def run(self) -> None:
        from kassa_pos.chain.service import close_quietly, link_errors

        while True:
            nc = None
            try:
                nc = await self.connect(self.url)
                sub = await self.subscribe(nc.jetstream(domain=self.domain))
                if self.down:
                    log.info("chain: store %s reaches the centre's %s again", self.code, STREAM)
                self.down = False
                await self.consume(sub)
            except link_errors() as exc:
                if not self.down:
                    log.warning("chain: store %s cannot read the centre's %s: %s; retrying",
                                self.code, STREAM, describe(exc))
                self.down = True
            finally:
                await close_quietly(nc)
                self.assembly = Assembly()  # unacked parts come again on the next consumer
            await anyio.sleep(self.retry_s)

    async def subscribe(self, js: Any) -> Any:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        return await js.pull_subscribe(
            subject(self.code, "*"), durable=durable(self.code), stream=STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_S,
                                  deliver_policy=DeliverPolicy.ALL))

    async def consume(self, sub: Any) -> None:
        import nats.errors

        while True:
            try:
                msgs = await sub.fetch(16, timeout=2.0)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            for msg in msgs:
                await self.take(msg)

    async def take(self, msg: Any) -> None:
        pkg, msgs, stale, error = self.assembly.add(msg)
        for m in stale:
            await m.ack()  # superseded by a newer full package
        if error:
            await self._refused(msgs, msg.headers or {}, error)
        elif pkg is not None:
            await self.handle(pkg, msgs)

    async def handle(self, pkg: Package, msgs: Sequence[Any]) -> None:
        """Apply in one write transaction, then ack; a package the store has is acked and
        ignored; a bad one is recorded and terminated (redelivering it cannot help: the
        centre's next package replaces it)."""
        now = self.hub.clock.now()
        report: ImportReport | None = None
        refused: RefusedPackage | None = None
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._keep, msgs)
            try:
                report = await self.hub.write_sync(lambda c: apply_package(c, pkg, now=now))
            except RefusedPackage as exc:
                refused = exc
            finally:
                tg.cancel_scope.cancel()
        if refused is not None:
            await self._refused(msgs, {H_KIND: pkg.kind, H_VERSION: str(pkg.version)},
                                str(refused))
            return
        for m in msgs:
            await m.ack()  # after the commit: a crash in between only redelivers
        if report is None:
            if (pkg.kind, pkg.version) not in self._ignored:
                self._ignored.add((pkg.kind, pkg.version))
                log.info("chain: store %s has %s package %d or newer: ignored", self.code,
                         pkg.kind, pkg.version)
            return
        self.applied += 1
        self.hub.state(OWNER).update(kind=pkg.kind, version=pkg.version, error="", at=now)
        if pkg.kind == LAYOUT:  # the tills take it at their next start
            log.info("chain: store %s applied layout package %d", self.code, pkg.version)
        elif pkg.kind == PLU:  # on_applied wakes the store's PluLoader: into the scales
            log.info("chain: store %s applied PLU package %d (%d items)", self.code,
                     pkg.version, len(pkg.body.get("items") or ()))
        elif pkg.kind == CLIENTS:  # names and birthdays: only the count is logged
            log.info("chain: store %s applied clients package %d (%d cards)", self.code,
                     pkg.version, len(pkg.body.get("clients") or ()))
        elif pkg.kind == RULES:  # the body names people and PINs: never logged
            log.info("chain: store %s applied rules package %d (%s)", self.code,
                     pkg.version, ", ".join(sorted(pkg.body)))
            book = self.hub.state("pos").get(BOOK_STATE)
            if book is not None:
                book.adopt(pkg.body)  # this process's tills work by them now
        else:
            log.info("chain: store %s applied %s package %d (+%d ~%d -%d items, catalog %d)",
                     self.code, pkg.kind, pkg.version, report.added, report.updated,
                     report.removed, report.version)
            await self._wake_catalog()
        if self.on_applied is not None:
            self.on_applied()  # the outbox sends the applied version up at once

    async def _keep(self, msgs: Sequence[Any]) -> None:
        """While a big package imports: tell JetStream it is being worked on."""
        while True:
            await anyio.sleep(ACK_WAIT_S / 3)
            for m in msgs:
                await m.in_progress()

    async def _wake_catalog(self) -> None:
        cat = self.hub.state("pos").get("catalog")
        if cat is not None:
            await cat.refresh()  # this process's tills see it now, not at the next watch

    async def _refused(self, msgs: Sequence[Any], headers: Any, error: str) -> None:
        kind = str(headers.get(H_KIND, "?"))
        try:
            version = int(headers.get(H_VERSION, 0))
        except ValueError:
            version = 0
        log.error("chain: store %s refused %s package %d: %s; keeping the applied one",
                  self.code, kind, version, error)
        now = self.hub.clock.now()
        await self.hub.write_sync(lambda c: refuse(c, kind, version, error, now=now))
        self.hub.state(OWNER).update(kind=kind, version=version, error=error, at=now)
        for m in msgs:
            await m.term()
