"""How the hub builds the services (empty) and starts them once plugins registered their
components: the names in config are checked, the journal recovers, unknown calls are
reconciled in the background."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from kassa.config import Settings
from kassa.hookspecs.payments import CheckCapture, CheckRefund
from kassa.journal import Journal, Lookup
from kassa.services.devices import DeviceService, printer_lookup
from kassa.services.fiscal import FiscalService
from kassa.services.payments import PaymentService, check_capture_lookup
from kassa.services.selection import Selection, check, components
from kassa.services.service import Emit

log = logging.getLogger("kassa.services")

FISCAL_TIMEOUT = 120.0  # s: a long receipt prints slowly; ATOL runs tasks asynchronously
PAYMENT_TIMEOUT = 30.0  # s: account payments (card purchases get 180 s: a PIN is typed)
DEVICE_TIMEOUT = 60.0  # s: a print job


def build(settings: Settings, journal: Journal, *, emit: Emit,
          now: Callable[[], datetime]) -> tuple[FiscalService, PaymentService, DeviceService]:
    """The three services, with no components yet (``start`` gives them theirs)."""
    sel = Selection(settings, {})
    kw: dict[str, Any] = {"journal": journal, "selection": sel, "emit": emit, "now": now}
    return (FiscalService(timeout=FISCAL_TIMEOUT, **kw),
            PaymentService(timeout=PAYMENT_TIMEOUT, **kw),
            DeviceService(timeout=DEVICE_TIMEOUT, **kw))


async def start(services: tuple[FiscalService, PaymentService, DeviceService], *,
                fiscal: Iterable[Any], payments: Iterable[Any],
                spawn: Callable[[Callable[[], Awaitable[None]]], None]) -> None:
    """Give the services the registered components (the devices are in ``devices``'
    ``components`` already: the hub starts them first); fail start (ConfigError) when config
    names one no plugin provides; recover the journal; reconcile unknown calls later."""
    fiscal_s, _, devices_s = services
    comps = components(fiscal, payments, devices_s.components)
    sel = fiscal_s.selection
    check(sel.settings, comps)
    sel.components = comps
    journal = fiscal_s.journal
    left = await journal.recover()
    if not left:
        return
    lookups: dict[str, Lookup] = {}
    for concern, registry in comps.items():
        for name, comp in registry.items():
            if callable(getattr(comp, "lookup", None)):
                lookups[name] = printer_lookup(name, comp) if concern == "printer" \
                    else check_capture_lookup(journal, comp) \
                    if isinstance(comp, CheckCapture | CheckRefund) else comp.lookup

    async def reconcile() -> None:
        counts = await journal.reconcile_all(lookups)
        log.info("journal: reconciled at start: %d done, %d had no effect, %d still unknown",
                 counts["done"], counts["failed"], counts["unknown"])

    spawn(reconcile)
