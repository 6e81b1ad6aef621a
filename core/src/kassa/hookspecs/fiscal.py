"""Fiscal hooks: registers that print 54-FZ receipts and run shifts."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI
    from kassa.model import FiscalDocument, FiscalStatus, Receipt


@runtime_checkable
class FiscalDevice(Protocol):
    name: str

    async def register(self, receipt: Receipt, key: str) -> FiscalDocument:
        """Print and fiscalise. A retry with the same ``key`` never prints twice."""
        ...

    async def open_shift(self, cashier: str) -> FiscalDocument: ...
    async def close_shift(self, cashier: str) -> FiscalDocument: ...
    async def x_report(self) -> FiscalDocument: ...
    async def status(self) -> FiscalStatus: ...


@hookspec
def register_fiscal_devices(hub: HubAPI) -> Sequence[FiscalDevice]:
    """Called at start. Return fiscal registers."""
