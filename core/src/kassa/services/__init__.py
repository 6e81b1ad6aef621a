"""The hub's services for actions that must never happen twice: ``hub.fiscal``,
``hub.payments``, ``hub.devices``. Each picks the component from config, runs the call
through ``kassa.journal``, maps failures to the shared errors and emits events."""

from kassa.services.devices import DeviceService
from kassa.services.fiscal import FiscalService
from kassa.services.payments import PaymentService
from kassa.services.selection import Selection, check, components
from kassa.services.startup import build, start

__all__ = ["DeviceService", "FiscalService", "PaymentService", "Selection", "build", "check",
           "components", "start"]
