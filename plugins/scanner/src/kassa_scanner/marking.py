"""What the till calls with a scan of a marked item: parse the КМ, then ask the fiscal
register (and through it the marking system) with ``hub.fiscal.check_marking``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from attrs import frozen
from kassa.errors import UserError
from kassa.i18n import t
from kassa.model import Scan
from kassa.model.ffd import PlannedStatus
from kassa.model.fiscal import MarkingCheck

from kassa_scanner import gs1


@frozen(kw_only=True)
class MarkedScan:
    code: gs1.MarkingCode
    check: MarkingCheck


def read_marking(scan: Scan | str, *, gs_substitute: str = "",
                 locale: str = "ru") -> gs1.MarkingCode:
    """The parsed code; a broken one is a ``UserError`` saying why, for the cashier."""
    raw = scan.code if isinstance(scan, Scan) else scan
    try:
        return gs1.parse(raw, gs_substitute=gs_substitute)
    except gs1.BrokenCode as exc:
        raise UserError(t(f"scanner.broken.{exc.reason}", locale)) from exc


async def check_scan(hub: Any, scan: Scan | str, *, site: str, station: str | None = None,
                     planned_status: int = PlannedStatus.PIECE_SOLD,
                     quantity: Decimal | None = None, gs_substitute: str = "",
                     locale: str = "ru") -> MarkedScan:
    """scan -> parse -> the register's marking check. The register gets the code rebuilt
    with its GS separators (repaired if the scanner lost them), never the damaged text."""
    code = read_marking(scan, gs_substitute=gs_substitute, locale=locale)
    check = await hub.fiscal.check_marking(code.code, int(planned_status), quantity,
                                           site=site, station=station)
    return MarkedScan(code=code, check=check)
