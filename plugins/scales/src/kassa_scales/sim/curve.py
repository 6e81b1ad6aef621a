"""A scripted weight on the platform: segments played one after another, by the clock.

``ramp`` moves linearly to a weight (unstable), ``settle`` oscillates around it with a
decaying swing then holds it (unstable until the swing is below one division), ``noise``
jitters (unstable while it does), ``overload`` is past the maximum. After the script the
last weight stays, stable."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from decimal import Decimal

from attrs import define, field, frozen


@frozen
class Sample:
    grams: Decimal
    stable: bool
    overload: bool = False


@frozen
class Segment:
    kind: str  # ramp | settle | noise | overload | hold
    grams: float
    seconds: float
    swing: float = 0.0


@define
class Curve:
    start: float = 0.0
    segments: list[Segment] = field(factory=list)
    clock: Callable[[], float] = time.monotonic
    division: float = 1.0  # grams: a swing below it reads as stable
    began: float | None = None
    rng: random.Random = field(factory=lambda: random.Random(17))

    @classmethod
    def steady(cls, grams: float) -> Curve:
        return cls(start=grams)

    def ramp(self, grams: float, seconds: float) -> Curve:
        self.segments.append(Segment("ramp", grams, seconds))
        return self

    def settle(self, grams: float, seconds: float, swing: float = 20.0) -> Curve:
        self.segments.append(Segment("settle", grams, seconds, swing))
        return self

    def noise(self, grams: float, seconds: float, swing: float = 5.0) -> Curve:
        self.segments.append(Segment("noise", grams, seconds, swing))
        return self

    def overload(self, seconds: float) -> Curve:
        self.segments.append(Segment("overload", 0.0, seconds))
        return self

    def hold(self, grams: float, seconds: float = 0.0) -> Curve:
        self.segments.append(Segment("hold", grams, seconds))
        return self

    def restart(self) -> None:
        self.began = self.clock()

    def place(self, grams: float) -> None:
        """Put a weight on now (the script ends)."""
        self.start, self.segments, self.began = grams, [], self.clock()

    def sample(self) -> Sample:
        if self.began is None:
            self.began = self.clock()
        t = self.clock() - self.began
        before = self.start
        for seg in self.segments:
            if t < seg.seconds:
                return self._within(seg, before, t)
            t -= seg.seconds
            before = before if seg.kind == "overload" else seg.grams
        return Sample(_g(before), stable=True)

    def _within(self, seg: Segment, before: float, t: float) -> Sample:
        if seg.kind == "overload":
            return Sample(Decimal(0), stable=False, overload=True)
        if seg.kind == "hold":
            return Sample(_g(seg.grams), stable=True)
        if seg.kind == "ramp":
            return Sample(_g(before + (seg.grams - before) * t / seg.seconds), stable=False)
        if seg.kind == "noise":
            return Sample(_g(seg.grams + self.rng.uniform(-seg.swing, seg.swing)),
                          stable=False)
        swing = seg.swing * math.exp(-5 * t / seg.seconds) * math.cos(12 * t)
        if abs(swing) < self.division:  # settled: the display stops at the weight
            return Sample(_g(seg.grams), stable=True)
        return Sample(_g(seg.grams + swing), stable=False)


def _g(grams: float) -> Decimal:
    return Decimal(round(grams))
