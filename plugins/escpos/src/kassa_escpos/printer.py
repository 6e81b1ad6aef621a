"""``EscposPrinter``: the kassa ``Printer`` for an ESC/POS receipt or kitchen printer.

Every job: ask ``DLE EOT 1/2/4`` (refuse with ``RetryLater`` when it is not ready: nothing
was sent), write the bytes, ask the status again (an answer after the bytes proves the
printer received all of them, since the link is in order). A plain ESC/POS printer keeps no
job log, so ``lookup`` answers from what this process saw (see ``lookup``).
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import anyio
from attrs import evolve
from kassa.errors import RetryLater, UserError
from kassa.model import DeviceStatus, Health, PrintJob

from kassa_escpos.link import Link, SerialLink, TcpLink, UsbLpLink
from kassa_escpos.protocol import STATUS_QUERY, PrinterState
from kassa_escpos.settings import PrinterSettings
from kassa_escpos.texts import say
from kassa_escpos.ticket import check_raw, render

log = logging.getLogger("kassa.escpos")

UNTOUCHED, PARTIAL, SENT, DONE = "untouched", "partial", "sent", "done"
REMEMBERED = 2000  # outcomes kept for lookup (a process restart forgets them all)


class PrinterLost(ConnectionError):
    """The link failed after bytes of a job went out: the outcome is unknown (the journal
    then asks ``lookup``). Deliberately not ``RetryLater``, which says nothing happened."""


def _link(settings: PrinterSettings) -> Link:
    if settings.host:
        return TcpLink(settings.host, settings.port, settings.connect_timeout)
    if settings.usb:
        return UsbLpLink(settings.usb)
    return SerialLink(settings.serial, settings.baudrate)


class EscposPrinter:
    kind = "printer"

    def __init__(self, settings: PrinterSettings, link: Link | None = None) -> None:
        self.settings = settings
        self.name = settings.name
        self.site = settings.site or None
        self.link: Link = link or _link(settings)
        self.connected = False
        self.lock = anyio.Lock()
        self.state: PrinterState | None = None
        self.health = Health.DOWN
        self.message: str | None = say("escpos.not_connected", settings.locale, name=self.name)
        self.outcomes: OrderedDict[str, str] = OrderedDict()
        self.torn = False  # the last job broke off mid-ticket: mark it on the next start
        self.jobs = 0
        # test probes (kassa.testing contract): wait before writing; lose the next answer
        self.delay = 0.0
        self.drop_answers = 0

    def _say(self, key: str, **kw: object) -> str:
        return say(key, self.settings.locale, name=self.name, **kw)

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        await self._load_profile()
        try:
            await self.link.open()
        except Exception as exc:  # refused, timed out, no such device file (python-escpos)
            reason = (str(exc) or type(exc).__name__).splitlines()[0].rstrip(":.")
            self._down(self._say("escpos.unreachable", where=self.settings.where,
                                 reason=reason))
            raise ConnectionError(self.message) from exc
        self.connected = True
        async with self.lock:
            state = await self._query()
            if self.torn:  # feed and cut off the half ticket, so the next one starts clean
                note = PrintJob(lines=(self._say("escpos.torn"),))
                await self.link.send(render(note, "", evolve(self.settings, print_key=False)))
                self.torn = False
                await self._query()  # its answer says the printer took the marker

        log.info("printer %s at %s: %s", self.name, self.settings.where, state)

    async def _load_profile(self) -> None:
        """python-escpos reads its capability database on first use (a second or more):
        in a worker thread, once, and an unknown profile name is one sentence."""
        from escpos.printer import Dummy

        try:
            await anyio.to_thread.run_sync(lambda: Dummy(profile=self.settings.profile))
        except KeyError as exc:
            self._down(self._say("escpos.profile", profile=self.settings.profile))
            raise UserError(self.message or "") from exc

    async def stop(self) -> None:
        self.connected = False
        try:
            await self.link.close()
        except Exception as exc:  # stop must not raise
            log.warning("printer %s did not close cleanly: %s", self.name, exc)
        if self.health is not Health.DOWN:
            self._down(self._say("escpos.not_connected"))

    def status(self) -> DeviceStatus:
        detail = {"where": self.settings.where, "jobs": self.jobs}
        if self.state is not None:
            detail.update(online=self.state.online, cover_open=self.state.cover_open,
                          paper_near_end=self.state.paper_near_end,
                          paper_out=self.state.paper_out)
        return DeviceStatus(health=self.health, message=self.message, detail=detail)

    async def poll(self) -> DeviceStatus:
        """Ask the printer's status now (the background watch calls this); a printer that
        does not answer is DOWN, which makes the hub restart it."""
        if self.connected and not self.lock.locked():
            async with self.lock:
                try:
                    await self._query()
                except RetryLater:
                    pass  # _query marked it down
        return self.status()

    async def watch(self) -> None:
        """Poll every ``status_interval`` seconds until cancelled (a hub job)."""
        while self.settings.status_interval > 0:
            await anyio.sleep(self.settings.status_interval)
            await self.poll()

    # --- printing ------------------------------------------------------------------------
    async def print(self, job: PrintJob, key: str) -> None:
        self._remember(key, UNTOUCHED)
        if job.raw is not None:
            check_raw(job.raw, self.settings)
        data = render(job, key, self.settings)
        if not self.connected:
            raise RetryLater(self._say("escpos.not_connected"), after=5)
        async with self.lock:
            state = await self._query()
            if not state.ready:
                raise RetryLater(self.message or "", after=10)
            if self.delay:
                await anyio.sleep(self.delay)
            self._remember(key, PARTIAL)
            try:
                with anyio.fail_after(self.settings.write_timeout):
                    await self.link.send(data)
            except (OSError, TimeoutError, anyio.BrokenResourceError,
                    anyio.ClosedResourceError) as exc:
                self.torn = True
                raise self._lost("escpos.lost", exc) from exc
            self._remember(key, SENT)
            if not self.settings.status_query:  # a one-way link: taken, never confirmed
                self.jobs += 1
                return
            if self.drop_answers:
                self.drop_answers -= 1
                self.torn = True
                raise self._lost("escpos.lost", None)
            try:
                after = await self._query()
            except RetryLater as exc:
                # TCP took the bytes into its buffer; how many reached the printer is unknown
                self.torn = True
                raise self._lost("escpos.lost", exc) from exc
            if after.paper_out or after.cover_open:  # it stopped somewhere in this job
                reason = "кончилась бумага" if after.paper_out else "открылась крышка"
                raise PrinterLost(self._say("escpos.ran_out", reason=reason))
            self._remember(key, DONE)
            self.jobs += 1

    async def lookup(self, key: str) -> bool | None:
        """True: every byte went out and the printer answered after them. False: this
        process knows no byte of the job left (refused before writing, or cancelled
        before). None otherwise: part or all of it went out unconfirmed, or the job is
        not one this process sent (after a restart): the printer keeps no record, so a
        person decides about a reprint."""
        outcome = self.outcomes.get(key)
        if outcome == DONE:
            return True
        if outcome == UNTOUCHED:
            return False
        return None

    # --- internals -----------------------------------------------------------------------
    def _remember(self, key: str, outcome: str) -> None:
        self.outcomes[key] = outcome
        self.outcomes.move_to_end(key)
        while len(self.outcomes) > REMEMBERED:
            self.outcomes.popitem(last=False)

    async def _query(self) -> PrinterState:
        """Send DLE EOT 1, 2, 4 and read the three answers; health follows them."""
        if not self.settings.status_query:
            self._set(Health.OK, None)
            return PrinterState()
        try:
            with anyio.fail_after(self.settings.status_timeout):
                await self.link.send(STATUS_QUERY)
                raw = await self.link.recv(3)
            state = PrinterState.read(raw[0], raw[1], raw[2])
        except (OSError, TimeoutError, ValueError, anyio.EndOfStream,
                anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
            if isinstance(exc, TimeoutError):
                text = self._say("escpos.no_status", seconds=self.settings.status_timeout)
            else:
                text = self._say("escpos.unreachable", where=self.settings.where,
                                 reason=type(exc).__name__)
            self._down(text)
            raise RetryLater(text, after=5) from exc
        self.state = state
        if state.paper_out:
            self._set(Health.DEGRADED, self._say("escpos.paper_out"))
        elif state.cover_open:
            self._set(Health.DEGRADED, self._say("escpos.cover_open"))
        elif not state.ready:
            self._set(Health.DEGRADED, self._say("escpos.offline"))
        elif state.paper_near_end:
            self._set(Health.DEGRADED, self._say("escpos.near_end"))
        else:
            self._set(Health.OK, None)
        return state

    def _set(self, health: Health, message: str | None) -> None:
        if (health, message) != (self.health, self.message) and message:
            log.warning("%s", message)  # once per change, not once per poll
        self.health, self.message = health, message

    def _down(self, message: str) -> None:
        self.connected = False
        self._set(Health.DOWN, message)

    def _lost(self, text_key: str, exc: BaseException | None) -> PrinterLost:
        """The link failed with the job (partly) out: DOWN, the hub restarts the link."""
        message = self._say(text_key)
        self._down(message)
        return PrinterLost(message)
