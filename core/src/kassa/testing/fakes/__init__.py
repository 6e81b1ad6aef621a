"""Reference fakes of the components the journal and the services call: faithful enough
that the contract suites (``kassa.testing.contracts``) fail when one is broken. Each keeps
its far end (what was printed, charged, fiscalised) in ``.far``; pass ``path=`` to keep it
in a SQLite file that outlives the process."""

from kassa.testing.fakes.devices import FakePrinter, FakeScale
from kassa.testing.fakes.far import FarEnd
from kassa.testing.fakes.loyalty import FakeLoyalty
from kassa.testing.fakes.payments import FakeAccount, FakeTerminal
from kassa.testing.fakes.register import FakeRegister

__all__ = ["FakeAccount", "FakeLoyalty", "FakePrinter", "FakeRegister", "FakeScale",
           "FakeTerminal", "FarEnd"]
