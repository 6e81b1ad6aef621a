"""``PrinterContract`` and ``ScaleContract``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import anyio
import pytest

from kassa.errors import KassaError, RetryLater
from kassa.model import DeviceStatus, PrintJob, Weight
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
