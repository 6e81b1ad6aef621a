"""``PrinterContract``, ``ScaleContract``, ``ScannerContract`` and ``VideoSinkContract``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from kassa.errors import KassaError, RetryLater
from kassa.model import DeviceStatus, PosEvent, PosEventKind, PrintJob, Scan, Weight
from kassa.testing.contracts.base import ComponentContract


class PrinterContract(ComponentContract):
    """Subclass with ``make_device = staticmethod(factory)`` returning a ``Printer``. A
    printer that cannot know what it printed answers ``lookup`` with None: the lost-answer
    test then checks that nothing is printed a second time by itself."""

    concern: ClassVar[str] = "device"
    job = PrintJob(lines=("КОНТРАКТ", "строка 2"))

    async def print_job(self, p: Any, journal: Any, key: str) -> None:
        async def lookup(k: str) -> bool | None:  # as hub.devices reads a printer's answer
            printed = await p.lookup(k)
            if printed is None:
                raise RetryLater("the printer cannot tell")
            return True if printed else None

        await self.through(journal, p, "print", key, lambda: p.print(self.job, key=key),
                           type(None), request=self.job, lookup=lookup)

    async def test_same_key_twice_prints_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, journal):
            before = await self.effects(p)
            await self.print_job(p, journal, "j1")
            await self.print_job(p, journal, "j1")
            assert await self.effects(p) - before == 1

    async def test_lookup_answers_true_false_or_none(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, journal):
            await self.print_job(p, journal, "j1")
            assert await p.lookup("j1") in (True, None)
            assert await p.lookup("never-sent") in (False, None)

    async def test_lost_answer_never_prints_twice(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, journal):
            before = await self.effects(p)
            self.lose_answer(p)
            with pytest.raises(RetryLater):
                await self.print_job(p, journal, "j1")
            try:
                await self.print_job(p, journal, "j1")
            except RetryLater:
                pass  # it cannot know: the job stays unknown for a person to decide
            assert await self.effects(p) - before == 1

    async def test_cancelled_mid_call_prints_at_most_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, journal):
            before = await self.effects(p)
            self.slow(p, 1.0)
            with anyio.move_on_after(0.2):
                await self.print_job(p, journal, "j1")
            self.slow(p, 0.0)
            try:
                await self.print_job(p, journal, "j1")
            except RetryLater:
                pass
            assert await self.effects(p) - before <= 1

    async def test_status_is_typed(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (p, _):
            assert isinstance(p.status(), DeviceStatus)
            assert p.kind == "printer"


class ScaleContract(ComponentContract):
    """Subclass with ``make_device = staticmethod(factory)`` returning a ``Scale``."""

    concern: ClassVar[str] = "device"

    async def test_read_gives_a_weight(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            try:
                w = await s.read()
            except KassaError:
                pytest.fail("a scale that answers gives a Weight (unstable: stable=False)")
            assert isinstance(w, Weight) and w.value >= 0
            assert isinstance(s.status(), DeviceStatus) and s.kind == "scale"


class VideoSinkContract(ComponentContract):
    """Subclass with ``make_device = staticmethod(factory)`` returning a ``VideoSink``
    connected to a video system (its emulator). Probes: ``effects(component)`` counts the
    events the video system received; ``arrivals(component)`` lists the receipt ids of what
    it received, in arrival order; ``cut(component)`` / ``restore(component)`` take its link
    down and up (the tests needing them are skipped without them)."""

    concern: ClassVar[str] = "device"
    patience: ClassVar[float] = 30.0  # seconds a sink may take to deliver what it accepted

    def arrivals(self, component: Any) -> list[str]:
        probe = getattr(component, "arrivals", None)
        if probe is None:
            pytest.skip("give the suite an arrivals(component) probe")
        return list(probe())

    async def cut(self, component: Any) -> None:
        pytest.skip("give the suite cut(component) and restore(component) probes")

    async def restore(self, component: Any) -> None:
        pytest.skip("give the suite cut(component) and restore(component) probes")

    def event(self, n: int) -> PosEvent:
        return PosEvent(kind=PosEventKind.RECEIPT_OPEN, terminal_id="1",
                        at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC) + timedelta(seconds=n),
                        receipt_id=f"R{n:04d}", cashier="Контрактова")

    async def send(self, v: Any, journal: Any, key: str, event: PosEvent) -> None:
        # as hub.devices.video does: once per key, no lookup (a video system keeps no record)
        await self.through(journal, v, "video", key, lambda: v.send(event, key=key),
                           type(None), request=event, lookup=None)

    async def delivered(self, v: Any, n: int) -> int:
        """Wait until the far end has ``n`` effects (or the patience runs out); the count."""
        with anyio.move_on_after(self.patience):
            while await self.effects(v) < n:  # noqa: ASYNC110 (the far end is polled)
                await anyio.sleep(0.02)
        return await self.effects(v)

    async def test_same_key_twice_delivers_once(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (v, journal):
            before = await self.effects(v)
            await self.send(v, journal, "v1", self.event(1))
            await self.send(v, journal, "v1", self.event(1))
            await self.send(v, journal, "v2", self.event(2))
            assert await self.delivered(v, before + 2) == before + 2
            await anyio.sleep(0.2)  # nothing more trickles in
            assert await self.effects(v) == before + 2

    async def test_events_arrive_in_the_order_sent(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (v, journal):
            before = len(self.arrivals(v))
            for n in range(20):
                await self.send(v, journal, f"k{n}", self.event(n))
            await self.delivered(v, before + 20)
            assert self.arrivals(v)[before:] == [f"R{n:04d}" for n in range(20)]

    async def test_link_down_keeps_events_and_replays_them_in_order(self,
                                                                   tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (v, journal):
            before = len(self.arrivals(v))
            await self.send(v, journal, "k0", self.event(0))
            await self.delivered(v, before + 1)
            await self.cut(v)
            refused = []
            for n in range(1, 6):
                try:
                    await self.send(v, journal, f"k{n}", self.event(n))
                except RetryLater:  # not taken: the hub sends it again later, in order
                    refused.append(n)
            assert isinstance(v.status(), DeviceStatus)
            await self.restore(v)
            for n in refused:
                await self.send(v, journal, f"k{n}", self.event(n))
            await self.delivered(v, before + 6)
            assert self.arrivals(v)[before:] == [f"R{n:04d}" for n in range(6)]

    async def test_status_is_typed(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (v, _):
            assert isinstance(v.status(), DeviceStatus)
            assert v.kind == "video"


class ScannerContract(ComponentContract):
    """Subclass with ``make_device = staticmethod(factory)`` returning a ``Scanner`` on its
    emulator. Probe: ``read(component, code)`` makes the scanner read ``code`` (the emulator
    scans it); without it the tests are skipped. Codes are what a till sells by: each
    arrives once, whole (GS separators of a GS1 code kept), in the order read."""

    concern: ClassVar[str] = "device"
    patience: ClassVar[float] = 10.0
    # a product code and a marking code with its group separators (GS1 DataMatrix)
    codes: ClassVar[tuple[str, ...]] = (
        "4607001234562", "0104607001234562" + "21" + "AbCdEfGhIjKlM" + "\x1d91EE10\x1d92"
        + "Qw" * 22)

    async def read(self, component: Any, code: str) -> None:
        pytest.skip("give the suite a read(component, code) probe")

    async def take(self, s: Any, n: int) -> list[Scan]:
        got: list[Scan] = []
        with anyio.fail_after(self.patience):
            async for scan in s.scans():
                got.append(scan)
                if len(got) == n:
                    break
        return got

    async def test_codes_arrive_whole_once_and_in_order(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            async with anyio.create_task_group() as tg:
                async def read_all() -> None:
                    await anyio.sleep(0.05)  # the reader is listening first
                    for code in (*self.codes, self.codes[0]):
                        await self.read(s, code)

                tg.start_soon(read_all)
                got = await self.take(s, 3)
            assert [g.code for g in got] == [*self.codes, self.codes[0]]
            assert all(isinstance(g, Scan) for g in got)

    async def test_status_is_typed(self, tmp_path: Path) -> None:
        async with self.harness(tmp_path) as (s, _):
            assert isinstance(s.status(), DeviceStatus)
            assert s.kind == "scanner"
