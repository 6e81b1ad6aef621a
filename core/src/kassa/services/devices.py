"""``hub.devices``: printers, scales and video sinks a site or station names. Prints and
video events go through the journal (a retry never prints twice); a weight is a reading."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from kassa.errors import RetryLater
from kassa.journal import Lookup
from kassa.services.service import Service

if TYPE_CHECKING:
    from kassa.model import PosEvent, PrintJob, Weight


class DeviceService(Service):
    """Iterating it gives every registered device (printers, scales, scanners, ...)."""

    concern = "device"
    prefix = "device"
    retry_event = "device_unavailable"  # a printer offline is worth an alert

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.components: list[Any] = []
        # why a device cannot be used now (its outage), None when it runs: the hub's keeper
        self.unavailable: Callable[[str], str | None] = lambda _name: None

    def _usable(self, name: str) -> None:
        """A device whose start failed (or that went down) is not called: RetryLater says
        nothing happened, so the caller may try again once it is back."""
        reason = self.unavailable(name)
        if reason is not None:
            raise RetryLater(f"{name} is unavailable: {reason}")

    def __iter__(self) -> Iterator[Any]:
        return iter(self.components)

    def __len__(self) -> int:
        return len(self.components)

    def __getitem__(self, i: int) -> Any:
        return self.components[i]

    def printer(self, *, site: str, station: str | None = None,
                name: str | None = None) -> tuple[str, Any]:
        return self.selection.pick("printer", site=site, station=station, name=name)

    def scale(self, *, site: str, station: str | None = None,
              name: str | None = None) -> tuple[str, Any]:
        return self.selection.pick("scale", site=site, station=station, name=name)

    def label_scales(self, *, site: str) -> list[str]:
        """The names of ``site``'s scales that take a PLU table (``upload``): the scales the
        site names, else every installed one; each a valid ``upload(..., scale=name)``."""
        return [n for n in self.selection.names("scale", site=site)
                if callable(getattr(self.selection.pick("scale", site=site, name=n)[1],
                                    "upload", None))]

    async def print(self, job: PrintJob, *, key: str, site: str, station: str | None = None,
                    printer: str | None = None) -> None:
        """Print ``job`` once per key. An unknown outcome is reconciled with the printer's
        ``lookup(key)``: True printed, False not (it prints now), None the printer cannot
        know (ESC/POS keeps no record): it stays unknown, never printed twice by itself."""
        name, p = self.printer(site=site, station=station, name=printer)
        self._usable(name)
        await self._run("print", key=key, site=site, station=station, component=name,
                        lookup=printer_lookup(name, p), request=job,
                        call=lambda: p.print(job, key=key), result_type=type(None),
                        event=None)

    async def read_weight(self, *, site: str, station: str | None = None,
                          scale: str | None = None) -> Weight:
        """The scale's reading now (not journaled: reading has no effect)."""
        name, s = self.scale(site=site, station=station, name=scale)
        self._usable(name)
        weight: Weight = await s.read()
        return weight

    async def upload(self, payload: Any, *, key: str, site: str, station: str | None = None,
                     scale: str | None = None, request: Any = None) -> Any:
        """Load ``payload`` (a label scale's PLU table) into a scale once per key, through
        the journal: a retry returns the recorded result; an unknown outcome asks the
        scale's ``lookup(key)``. ``request`` is what the journal keeps (default: payload)."""
        name, s = self.scale(site=site, station=station, name=scale)
        self._usable(name)
        return await self._run("upload", key=key, site=site, station=station, component=name,
                               lookup=s.lookup, request=payload if request is None else request,
                               call=lambda: s.upload(payload, key=key), result_type=dict,
                               event=None)

    async def video(self, event: PosEvent, *, key: str, site: str, sink: str,
                    station: str | None = None) -> None:
        """Send a till event to a video system once per key (it keeps no record to look
        up: an unknown send stays unknown)."""
        _, v = self.selection.pick("video", site=site, station=station, name=sink)
        self._usable(sink)
        await self._run("video", key=key, site=site, station=station, component=sink,
                        lookup=None, request=event, call=lambda: v.send(event, key=key),
                        result_type=type(None), event=None)

    def failed_kind(self, exc: BaseException) -> str:
        return "device_unavailable"


def printer_lookup(name: str, printer: Any) -> Lookup:
    """A printer's ``lookup`` as the journal reads one: True printed; False not printed (no
    record: it may print now); None cannot know -> raises, so the job stays unknown."""

    async def lookup(key: str) -> bool | None:
        printed = await printer.lookup(key)
        if printed is None:
            raise RetryLater(f"printer {name} cannot tell whether job {key} printed")
        return True if printed else None

    return lookup
