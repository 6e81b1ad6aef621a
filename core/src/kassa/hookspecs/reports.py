"""Report hooks: named reports computed from the event log and source data."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import Period, Report


class ReportContext(Protocol):
    hub: HubAPI
    locale: str


@runtime_checkable
class ReportDefinition(Protocol):
    name: str  # stable id: "system_balance"
    title: dict[str, str]  # {"ru": ..., "en": ...}
    parameters: Sequence[str]  # e.g. ("site", "period")

    async def build(self, ctx: ReportContext, site: str | None, period: Period) -> Report:
        """Compute the report for one site (None = every site) over a period."""
        ...


@hookspec
def register_reports() -> Sequence[ReportDefinition]:
    """Called at start. Return report definitions; names are unique across plugins. Sync
    only."""
