"""A Shtrih-Print label scale: weight at the counter, and its PLU table kept in step with the
catalogue. An upload sends only the PLUs that changed since the table this scale last
took (its per-PLU hashes and version are kept on disk, one file a scale), and answers
``lookup(key)`` from that file, so a journaled upload retried under its key is a no-op.
It takes a ``PluTable`` or the core's neutral ``PluItem`` rows (the chain's ``plu``
package), which it makes its own table of (``plu.table_for``: its filter, its limits)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import struct
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kassa.errors import Permanent, RetryLater
from kassa.model import DeviceStatus, Event, Health, PluItem, Weight

from kassa_scales import shtrih_print as sp
from kassa_scales.kinds import Kind
from kassa_scales.link import Link
from kassa_scales.plu import PluTable, plu_hash, table_for
from kassa_scales.reading import ProtocolError, Reading, to_weight
from kassa_scales.settings import ScaleSettings
from kassa_scales.texts import say

log = logging.getLogger(__name__)
KEEP_KEYS = 50  # upload results remembered for lookup
KEEP_REJECTS = 50  # rejected items named in an upload's result (all are counted)


class LabelScale:
    kind = "scale"

    def __init__(self, settings: ScaleSettings, *, hub: Any = None,
                 data_dir: Path | None = None) -> None:
        self.settings = settings
        self.name = settings.name
        self.link = Link(settings)
        self.emit = getattr(hub, "emit", None)
        base = Path(settings.state_dir) if settings.state_dir else data_dir
        if base is None:
            base = Path(hub.settings.data_path) if hub is not None else Path(".")
        self.state_path = base / "scales" / f"{settings.name}.plu.json"
        self.state: dict[str, Any] = self._load()
        self.errors = 0
        self.last_contact: datetime | None = None
        self.problem: str | None = None
        self.last_upload_error: str | None = None
        self.last_rejected: dict[int, str] = {}  # the last table's items left off, why
        self.uploads = 0  # uploads that ran (a replayed key does not count)
        self.bytes_sent = 0
        self._lock = asyncio.Lock()

    # --- Device ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.link.connect()
        # reached again: the last outage's reason no longer stands, or the hub's keeper,
        # which restarts a scale until its status stops saying down, would never see it up
        self.problem = None

    async def stop(self) -> None:
        await self.link.close()

    def status(self) -> DeviceStatus:
        detail = {"protocol": "shtrih_print", "where": self.settings.where,
                  "errors": self.errors, "plu_version": self.state.get("version"),
                  "plu_count": len(self.state.get("plus", {})),
                  "uploaded_at": self.state.get("uploaded_at"),
                  "last_upload_error": self.last_upload_error,
                  "plu_rejected": len(self.last_rejected),
                  "last_contact": self.last_contact.isoformat() if self.last_contact else None}
        if self.problem:
            return DeviceStatus(health=Health.DOWN, message=self.problem, detail=detail)
        if self.last_upload_error:
            return DeviceStatus(health=Health.DEGRADED, message=self.last_upload_error,
                                detail=detail)
        return DeviceStatus(health=Health.OK, detail=detail)

    def effects(self) -> int:
        return self.uploads

    # --- Scale ----------------------------------------------------------------------------
    async def read(self) -> Weight:
        """The scale gives a weight only once it is fixed (``CmdGetScaleWeight``); error
        152 "Вес не фиксирован" reads as unstable until ``stable_timeout``."""
        deadline = time.monotonic() + self.settings.stable_timeout
        while True:
            error, data = await self.call(sp.GET_WEIGHT)
            if error == 0 and len(data) == 4:
                return to_weight(Reading(grams=struct.unpack("<i", data)[0]))
            if error != 152:
                raise RetryLater(say("scales.refused", self.settings.locale, name=self.name,
                                     reason=sp.ERRORS.get(error, f"ошибка {error}")))
            if time.monotonic() >= deadline:
                return Weight(value=0, stable=False)
            await asyncio.sleep(self.settings.poll_interval)

    # --- PLU upload -----------------------------------------------------------------------
    async def lookup(self, key: str) -> dict[str, Any] | None:
        result = self.state.get("keys", {}).get(key)
        return dict(result) if result is not None else None

    async def upload(self, table: PluTable | Sequence[PluItem], key: str, *,
                     full: bool = False) -> dict[str, Any]:
        """Make the scale hold ``table``: only changed PLUs (or, ``full``, clear and all).
        Core ``PluItem`` rows become this scale's table first; the items it leaves out
        (``table.rejected``) are in the result (``rejected``: how many, ``rejects``: code ->
        reason) and raise one ``plu_rejected`` event per table version."""
        done = await self.lookup(key)
        if done is not None:
            return done  # the far end's record: the journal's retry after a lost answer
        if not isinstance(table, PluTable):
            table = table_for(table, self.settings)
        await self._rejected(table)
        pwd = sp.password(self.settings.password)
        have: dict[str, str] = {} if full else dict(self.state.get("plus", {}))
        want = {str(n): h for n, h in table.hashes().items()}
        sent = deleted = 0
        before = self.bytes_sent
        failed: dict[int, str] = {}
        try:
            if full:
                await self._ok_or_fail(sp.CLEAR_GOODS, pwd)
                self._save(plus={}, version=None)
            for p in table.plus:
                if have.get(str(p.number)) == want[str(p.number)]:
                    continue
                error, _ = await self.call(sp.WRITE_PLU, pwd + sp.encode_plu(p))
                if error:
                    failed[p.number] = sp.ERRORS.get(error, f"ошибка {error}")
                    continue
                have[str(p.number)] = plu_hash(p)
                sent += 1
            for number in [n for n in have if n not in want]:
                error, _ = await self.call(sp.DELETE_PLU, pwd + struct.pack("<H", int(number)))
                if error not in (0, 140):  # 140 "Пустое ПЛУ": already gone
                    failed[int(number)] = sp.ERRORS.get(error, f"ошибка {error}")
                    continue
                del have[number]
                deleted += 1
        except RetryLater as exc:
            self._save(plus=have, version=None)  # the next diff resumes from here
            await self._upload_failed(str(exc))
            raise
        except BaseException:  # cut off (the device service's timeout): resume from here too
            self._save(plus=have, version=None)
            raise
        self.uploads += 1
        result = {"version": table.version, "sent": sent, "deleted": deleted, "full": full,
                  "bytes": self.bytes_sent - before, "rejected": len(table.rejected),
                  "rejects": {str(c): r for c, r in list(table.rejected.items())[:KEEP_REJECTS]},
                  "failed": len(failed)}
        if failed:
            self._save(plus=have, version=None)
            first = next(iter(failed.items()))
            reason = say("scales.bad_plu", self.settings.locale, plu=first[0],
                         reason=first[1])
            await self._upload_failed(f"{reason} (+{len(failed) - 1})" if len(failed) > 1
                                      else reason)
            raise Permanent(self.last_upload_error or reason)
        self.last_upload_error = None
        self._save(plus=have, version=table.version, key=key, result=result)
        return result

    async def _ok_or_fail(self, cmd: int, params: bytes) -> None:
        error, _ = await self.call(cmd, params)
        if error:
            raise RetryLater(say("scales.refused", self.settings.locale, name=self.name,
                                 reason=sp.ERRORS.get(error, f"ошибка {error}")))

    async def _rejected(self, table: PluTable) -> None:
        """The items this scale cannot hold: kept for ``status()``, logged and told once
        per table version (the event log drops the repeat of a retried upload)."""
        self.last_rejected = dict(table.rejected)
        if not table.rejected:
            return
        code, reason = next(iter(table.rejected.items()))
        text = say("scales.rejected", self.settings.locale, name=self.name,
                   n=len(table.rejected), code=code, reason=reason)
        log.warning("label scale %s: %s", self.name, text)
        if self.emit is None:
            return
        s = self.settings
        try:
            await self.emit(Event.of(
                site=s.site or "-", kind=Kind.PLU_REJECTED, station=s.station or None,
                occurred_at=datetime.now(UTC), reason=text,
                source_key=f"plu-rejected:{self.name}:{table.version}",
                data={"scale": self.name, "version": table.version,
                      "rejects": {str(c): r for c, r in
                                  list(table.rejected.items())[:KEEP_REJECTS]}}))
        except Exception:
            log.exception("scale %s: could not emit %s", self.name, Kind.PLU_REJECTED)

    async def _upload_failed(self, reason: str) -> None:
        self.last_upload_error = say("scales.upload_failed", self.settings.locale,
                                     name=self.name, reason=reason.rstrip("."))
        if self.emit is None:
            return
        s = self.settings
        now = datetime.now(UTC)
        try:
            await self.emit(Event.of(site=s.site or "-", kind=Kind.PLU_UPLOAD_FAILED,
                                     station=s.station or None, occurred_at=now,
                                     source_key=f"plu:{self.name}:{now.isoformat()}",
                                     reason=self.last_upload_error, data={"scale": self.name}))
        except Exception:
            log.exception("scale %s: could not emit %s", self.name, Kind.PLU_UPLOAD_FAILED)

    # --- the wire -------------------------------------------------------------------------
    async def call(self, cmd: int, params: bytes = b"") -> tuple[int, bytes]:
        """One command and its answer: ``(error, data)``. No answer or garbage: the link
        is dropped, the scale marked down, ``RetryLater``."""
        if cmd == sp.GET_WEIGHT and not params:
            params = sp.password(self.settings.password)
        request = sp.command(cmd, params)
        async with self._lock:
            try:
                if not self.link.open:
                    await self.link.connect()
                await self.link.send(request)
                head = await self.link.exactly(2)
                if head[0] != sp.NORMAL or head[1] < 2:  # garbage: do not wait for LEN bytes
                    raise ProtocolError(f"not a Shtrih-Print answer: {head.hex(' ')}")
                frame = head + await self.link.exactly(head[1])
                got, error, data = sp.parse(frame)
                if got != cmd:
                    raise ProtocolError(f"an answer to 0x{got:02x}, not 0x{cmd:02x}")
            except (ProtocolError, asyncio.IncompleteReadError) as exc:
                raise await self._down("scales.garbage", exc) from exc
            except (OSError, TimeoutError, ConnectionError) as exc:
                raise await self._down("scales.unreachable", exc) from exc
            except asyncio.CancelledError:  # cut off between request and answer
                self.link.abort()
                raise
        self.bytes_sent += len(request)
        self.last_contact = datetime.now(UTC)
        self.problem = None
        return error, data

    async def _down(self, text: str, exc: BaseException) -> RetryLater:
        self.errors += 1
        await self.link.close()
        s = self.settings
        self.problem = say(text, s.locale, name=self.name, where=s.where,
                           reason=str(exc) or type(exc).__name__)
        log.warning("label scale %s: %s", self.name, exc)
        return RetryLater(self.problem)

    # --- the state file -------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.state_path.read_text("utf-8"))
            return state
        except FileNotFoundError:
            return {"plus": {}, "keys": {}, "version": None}
        except (OSError, ValueError) as exc:  # unreadable: the next upload is a full diff
            log.warning("label scale %s: state %s unreadable (%s)", self.name,
                        self.state_path, exc)
            return {"plus": {}, "keys": {}, "version": None}

    def _save(self, *, plus: dict[str, str], version: str | None, key: str | None = None,
              result: dict[str, Any] | None = None) -> None:
        keys = dict(self.state.get("keys", {}))
        if key is not None:
            keys[key] = result
            keys = dict(list(keys.items())[-KEEP_KEYS:])
        self.state = {"plus": dict(plus), "version": version, "keys": keys,
                      "uploaded_at": datetime.now(UTC).isoformat()}
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state), "utf-8")
        os.replace(tmp, self.state_path)  # a crash leaves the old file or the new, whole
