"""A reference receipt printer (a paper model: what was printed, under which key) and a
scale (a scripted weight curve)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

import anyio

from kassa.errors import Permanent, RetryLater
from kassa.model import DeviceStatus, Health, PrintJob, Weight
from kassa.testing.fakes.far import FarEnd


class FakePrinter:
    """``remembers=False`` is a plain ESC/POS printer: it keeps no job log, so ``lookup``
    answers None (cannot know). ``paper_out`` and ``offline`` fail before printing;
    ``drop_answers`` prints and then loses the answer."""

    kind = "printer"

    def __init__(self, name: str = "fake-printer", *, path: str | Path | None = None,
                 remembers: bool = True, delay: float = 0.0) -> None:
        self.name = name
        self.far = FarEnd(path)
        self.remembers = remembers
        self.delay = delay
        self.paper_out = False
        self.offline = False
        self.drop_answers = 0
        self.started = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    def status(self) -> DeviceStatus:
        if self.offline:
            return DeviceStatus(health=Health.DOWN, message="the printer does not answer")
        if self.paper_out:
            return DeviceStatus(health=Health.DEGRADED, message="paper out")
        return DeviceStatus(health=Health.OK)

    def effects(self, kind: str | None = None) -> int:
        """Jobs that came out on paper."""
        return len(self.far.effects(kind))

    def paper(self) -> list[str]:
        """Every printed line, in order (copies repeated)."""
        out: list[str] = []
        for _, _, body in self.far.effects():
            for _ in range(body["copies"]):
                out.extend(body["lines"])
        return out

    async def print(self, job: PrintJob, key: str) -> None:
        if self.offline:
            raise RetryLater(f"printer {self.name} is offline", after=5)
        if self.paper_out:
            raise RetryLater("paper out: load paper", after=10)
        if job.raw is not None and not job.raw.startswith(b"\x1b@"):
            raise Permanent("raw job does not start with ESC @ (initialise)")
        if self.delay:
            await anyio.sleep(self.delay)
        self.far.record(key, "print", job)
        if self.drop_answers:
            self.drop_answers -= 1
            raise ConnectionError(f"printer {self.name}: the link dropped after the job")

    async def lookup(self, key: str) -> bool | None:
        if not self.remembers:
            return None
        if self.offline:
            raise RetryLater(f"printer {self.name} is offline", after=5)
        return self.far.find(key) is not None


class FakeScale:
    """Reads follow ``curve`` (kilograms; the last value stays); a reading is stable when it
    equals the one before; above ``capacity`` it is an overload."""

    kind = "scale"

    def __init__(self, name: str = "fake-scale", *, curve: Iterable[Decimal | str] = ("0",),
                 capacity: Decimal = Decimal(15)) -> None:
        self.name = name
        self.curve = [Decimal(str(v)) for v in curve]
        self.capacity = capacity
        self.offline = False
        self._last: Decimal | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def status(self) -> DeviceStatus:
        return DeviceStatus(health=Health.DOWN if self.offline else Health.OK)

    async def read(self) -> Weight:
        if self.offline:
            raise RetryLater(f"scale {self.name} does not answer", after=1)
        value = self.curve.pop(0) if len(self.curve) > 1 else self.curve[0]
        stable = value == self._last
        self._last = value
        return Weight(value=value, stable=stable, overload=value > self.capacity)
