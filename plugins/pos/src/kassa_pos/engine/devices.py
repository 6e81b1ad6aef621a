"""A till's devices, as ``[[pos.tills]]`` names them: its scale (weighed items whose barcode
carries no weight), its non-fiscal slip printer (the message rules' receipt texts: the
fiscal ``Receipt`` has no free-text field) and up to two scanners whose reads feed the till.

Everything goes through ``hub.devices``: a slip is printed through the action journal under
its key (a retry never prints twice); a weight is a reading (no effect, not journaled).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any

import anyio
from kassa.errors import RetryLater, UserError
from kassa.model import PrintJob, Scan, Weight

from kassa_pos.settings import TillSettings

_TEXTS = {
    "ru": {"no_scale": "К кассе не подключены весы: введите вес вручную.",
           "overload": "Весы перегружены: снимите лишнее и взвесьте товар снова.",
           "unstable": "Вес не успокоился: положите товар неподвижно и взвесьте снова.",
           "empty": "На весах ничего нет: положите товар и взвесьте снова.",
           "no_scanner": "Сканер «{name}» не найден среди устройств."},
    "en": {"no_scale": "No scale at this till: enter the weight by hand.",
           "overload": "The scale is overloaded: take things off and weigh again.",
           "unstable": "The weight did not settle: keep the item still and weigh again.",
           "empty": "The scale is empty: put the item on it and weigh again.",
           "no_scanner": "Scanner '{name}' is not among the devices."},
}

POLL = 0.2  # seconds between scale readings while waiting for a stable one


class TillDevices:
    """One till's scale, slip printer and scanners. ``site``/``till``: where the devices
    service picks them (a name configured on the till wins over the station's default)."""

    def __init__(self, hub: Any, *, site: str, till: str, settings: TillSettings | None = None,
                 locale: str = "ru") -> None:
        self.hub = hub
        self.site = site
        self.till = till
        self.settings = settings or TillSettings(name=till)
        self.texts = _TEXTS.get(locale, _TEXTS["ru"])

    # --- the scale ------------------------------------------------------------------------
    @property
    def has_scale(self) -> bool:
        return bool(self.settings.scale)

    async def weigh(self) -> Decimal:
        """Kilograms of a stable reading, waiting up to ``weigh_timeout``. Overload, an
        empty pan or no stable reading in time: a ``UserError`` (nothing is sold)."""
        if not self.has_scale:
            raise UserError(self.texts["no_scale"])
        last: Weight | None = None
        with anyio.move_on_after(self.settings.weigh_timeout):
            while True:
                last = await self.hub.devices.read_weight(site=self.site, station=self.till,
                                                          scale=self.settings.scale)
                if last.overload:
                    raise UserError(self.texts["overload"])
                if last.stable and not last.underload:
                    break
                await anyio.sleep(POLL)
        if last is None or not last.stable:
            raise UserError(self.texts["unstable"])
        if last.underload or last.kg <= 0:
            raise UserError(self.texts["empty"])
        return last.kg.quantize(Decimal("0.001"))

    # --- the slip printer -----------------------------------------------------------------
    @property
    def has_printer(self) -> bool:
        return bool(self.settings.printer)

    async def print_slip(self, lines: Sequence[str], *, key: str) -> bool:
        """Print ``lines`` on the till's slip printer once per ``key`` (journaled). False:
        no printer configured (the caller keeps the texts). ``RetryLater`` (paper out):
        the job stays pending under its key; printing again with it never doubles."""
        if not self.has_printer or not lines:
            return False
        await self.hub.devices.print(PrintJob(lines=tuple(lines)), key=key, site=self.site,
                                     station=self.till, printer=self.settings.printer)
        return True

    async def kick_drawer(self, lines: Sequence[str], *, key: str) -> bool:
        """Open the cash drawer wired to the slip printer (the printer's drawer pulse after a
        short no-sale slip, uncut), once per ``key``. False: no printer configured, so no
        drawer this till can open (it is opened with its key)."""
        if not self.has_printer:
            return False
        await self.hub.devices.print(PrintJob(lines=tuple(lines), cut=False, open_drawer=True),
                                     key=key, site=self.site, station=self.till,
                                     printer=self.settings.printer)
        return True

    # --- the scanners ---------------------------------------------------------------------
    def scanners(self) -> list[Any]:
        """The configured scanners among the hub's devices."""
        by_name = {getattr(d, "name", None): d for d in self.hub.devices}
        out = []
        for name in self.settings.scanners:
            if name not in by_name:
                raise UserError(self.texts["no_scanner"].format(name=name))
            out.append(by_name[name])
        return out

    async def feed(self, on_scan: Callable[[Scan], Awaitable[None]],
                   on_error: Callable[[Scan, Exception], Awaitable[None]]) -> None:
        """Run until cancelled (the UI or the hub starts it in its task group): every read
        of every configured scanner goes to ``on_scan``; a sentence the till refuses with
        (``UserError``) or a device that is down (``RetryLater``) goes to ``on_error`` and
        the scanner keeps being read. A wedge (keyboard) scanner's input comes from the UI."""
        async def read(scanner: Any) -> None:
            async for scan in scanner.scans():
                try:
                    await on_scan(scan)
                except (UserError, RetryLater) as exc:
                    await on_error(scan, exc)

        scanners = self.scanners()
        async with anyio.create_task_group() as tg:
            for scanner in scanners:
                tg.start_soon(read, scanner)


__all__ = ["TillDevices"]
