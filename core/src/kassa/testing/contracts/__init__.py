"""Contract suites for plugin authors: subclass one in a test module, give it your
component's factory, and pytest runs what the core relies on (one effect per key, lookup
after success and for an unknown key, reconcile after a lost answer or a cancellation,
shared errors, typed status) against your component:

    from kassa.testing.contracts import FiscalDeviceContract

    class TestMyRegister(FiscalDeviceContract):
        make_device = staticmethod(lambda: MyRegister(host="127.0.0.1", port=...))
"""

from kassa.testing.contracts.base import ComponentContract
from kassa.testing.contracts.devices import (
    PrinterContract,
    ScaleContract,
    ScannerContract,
    VideoSinkContract,
)
from kassa.testing.contracts.fiscal import FiscalDeviceContract, sample_receipt
from kassa.testing.contracts.loyalty import GuestServiceContract, LoyaltyProgramContract
from kassa.testing.contracts.notify import ChannelContract, EventSourceContract
from kassa.testing.contracts.payments import AccountPaymentContract, CardTerminalContract

__all__ = ["AccountPaymentContract", "CardTerminalContract", "ChannelContract",
           "ComponentContract", "EventSourceContract", "FiscalDeviceContract",
           "GuestServiceContract", "LoyaltyProgramContract", "PrinterContract",
           "ScaleContract", "ScannerContract", "VideoSinkContract", "sample_receipt"]
