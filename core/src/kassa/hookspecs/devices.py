"""Device hooks: scales, scanners, printers, bank terminals, video."""
# Specs are never called (pluggy reads only their signatures), so their bodies stay empty.
# mypy: disable-error-code="empty-body"

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from kassa.hookspecs import hookspec

if TYPE_CHECKING:
    from kassa.hookspecs.app import HubAPI


@runtime_checkable
class Device(Protocol):
    name: str
    kind: str  # scale | scanner | printer | terminal | video

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def status(self) -> dict[str, Any]: ...


@hookspec
def register_devices(hub: HubAPI) -> Sequence[Device]:
    """Called at start. Return devices; the hub starts and stops them."""
