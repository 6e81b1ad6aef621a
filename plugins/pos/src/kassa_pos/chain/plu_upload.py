"""The store's applied ``plu`` table into each of its label scales, through the core's
``hub.devices.upload`` (journaled: one key per version and scale, ``plu:<version>:<scale>``,
so a redelivered package or a restart uploads nothing twice, and an upload cut off midway
is reconciled by the scale's ``lookup``; a newer version is a new key and the scale sends
only the PLUs that changed).

The apply never waits for a scale: the version is the store's once its transaction commits.
``PluLoader.sync`` then loads it into every label scale that does not hold it yet; a scale
that is down (``RetryLater``) or whose answer was lost (``OutcomeUnknown``) is tried again
at the next pass: ``StoreService`` runs ``PluLoader.run``, a pass at start, after every
applied package and every ``[pos.chain] interval`` seconds. A scale that refuses the table
(``Permanent``: it refused a PLU, and says so with ``plu_upload_failed``) is not tried
again with that version until the store restarts; the next version goes to it as usual.
What each scale holds is in ``hub.state("pos.chain.plu")`` (scale -> version, state)."""

from __future__ import annotations

import logging
from typing import Any

import anyio
import sqlalchemy as sa
from kassa.errors import Permanent, Repair, RetryLater, UserError
from kassa.model import PluItem
from kassa.supervision import describe

from kassa_pos.chain.plu import items_of
from kassa_pos.chain.refdata import PLU, applied_t, body_t

log = logging.getLogger("kassa_pos.chain.plu")
OWNER = "pos.chain.plu"  # hub.state: per label scale {version, state, error, result, at}
LOADED, WAITING, REFUSED = "loaded", "waiting", "refused"


def key(version: int, scale: str) -> str:
    """The journal's key of one table version's upload into one scale."""
    return f"plu:{version}:{scale}"


def _applied(conn: Any) -> tuple[int, str, dict[str, Any] | None]:
    """(version, digest, body) of the store's applied ``plu`` package; (0, "", None): none."""
    import json

    row = conn.execute(sa.select(body_t.c.version, body_t.c.body)
                       .where(body_t.c.kind == PLU)).first()
    if row is None:
        return 0, "", None
    digest = conn.execute(sa.select(applied_t.c.digest).where(
        applied_t.c.kind == PLU, applied_t.c.version == row.version)).scalar()
    return int(row.version), str(digest or ""), dict(json.loads(row.body))


class PluLoader:
    """Keeps ``site``'s label scales (``hub.devices.label_scales``) holding the applied
    table; ``sync`` is one pass, ``run`` passes until cancelled."""

    def __init__(self, hub: Any, *, site: str, interval: float = 10.0) -> None:
        self.hub = hub
        self.site = site
        self.interval = interval
        self.wake = anyio.Event()
        self.done: dict[str, int] = {}  # scale -> the version it took (or refused)
        self.passes = 0  # finished passes (tests wait on it)
        self._told: set[tuple[str, int]] = set()  # (scale, version) waits already logged

    async def run(self) -> None:
        while True:
            await self.sync()
            with anyio.move_on_after(self.interval):
                await self.wake.wait()
            self.wake = anyio.Event()

    async def sync(self) -> dict[str, str]:
        """One pass: each label scale not holding the applied version is sent it; returns
        scale -> ``loaded`` | ``waiting`` | ``refused`` for the scales tried."""
        try:
            async with self.hub.engine.connect() as conn:
                version, digest, body = await conn.run_sync(_applied)
            if body is None:
                return {}
            todo = [n for n in self.hub.devices.label_scales(site=self.site)
                    if self.done.get(n) != version]
            if not todo:
                return {}
            items = items_of(body)  # checked when applied: a bad one never got here
            return {name: await self._upload(name, version, digest, items) for name in todo}
        finally:
            self.passes += 1

    async def _upload(self, name: str, version: int, digest: str,
                      items: list[PluItem]) -> str:
        request = {"kind": PLU, "version": version, "digest": digest, "items": len(items)}
        try:
            result = await self.hub.devices.upload(items, key=key(version, name),
                                                   site=self.site, scale=name, request=request)
        except RetryLater as exc:  # down, or the outcome lost (OutcomeUnknown): next pass
            if (name, version) not in self._told:
                self._told.add((name, version))
                log.warning("chain: label scale %s waits for PLU table %d: %s", name,
                            version, describe(exc))
            self._record(name, version, WAITING, error=str(exc))
            return WAITING
        except (Permanent, Repair, UserError) as exc:  # the scale's own alert says why
            self.done[name] = version
            log.error("chain: label scale %s refused PLU table %d: %s", name, version,
                      describe(exc))
            self._record(name, version, REFUSED, error=str(exc))
            return REFUSED
        self.done[name] = version
        result = dict(result or {})
        log.info("chain: label scale %s holds PLU table %d (+%s -%s, %s left off)", name,
                 version, result.get("sent", 0), result.get("deleted", 0),
                 result.get("rejected", 0))
        self._record(name, version, LOADED, result=result)
        return LOADED

    def _record(self, name: str, version: int, state: str, *, error: str = "",
                result: dict[str, Any] | None = None) -> None:
        self.hub.state(OWNER)[name] = {"version": version, "state": state, "error": error,
                                       "result": result or {}, "at": self.hub.clock.now()}
