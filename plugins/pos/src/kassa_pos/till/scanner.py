"""A keyboard-wedge scanner types its code as a burst of keystrokes and Enter, faster than
any person. ``Burst`` tells the two apart from the keys' times alone: printable keys are held
back while they come closer than ``max_gap`` to each other; an Enter closing at least
``min_length`` of them is a scan (the app gives the code to the screen's ``on_scan``,
whatever has focus), anything else is typing and is let through in order. A person's keys
are held back by at most ``max_gap`` (30 ms), which nobody notices.

Pure logic with the clock passed in, so the rule is tested without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from attrs import define, field, frozen

K = TypeVar("K")


@frozen
class BurstConfig:
    min_length: int = 6  # the shortest code a scanner sends (EAN-8 is 8, a PLU card 6)
    max_gap: float = 0.03  # seconds between two keys of one scan


@define
class Burst(Generic[K]):
    """Feed every key with ``key(item, printable, enter, now)``; it returns what to do."""

    config: BurstConfig = field(factory=BurstConfig)
    held: list[tuple[K, str]] = field(factory=list)  # (the key, its character)
    last: float = 0.0
    taken: list[K] = field(factory=list)  # the last scan's keys, Enter included

    def key(self, item: K, char: str | None, *, enter: bool, now: float
            ) -> tuple[list[K], str | None]:
        """(keys to let through now, in order; a scanned code or None). ``char`` is the
        key's printable character (None for other keys)."""
        fast = bool(self.held) and now - self.last <= self.config.max_gap
        if enter:
            if fast and len(self.held) >= self.config.min_length:
                code = "".join(c for _, c in self.held)
                self.taken = [*(k for k, _ in self.held), item]
                self.held.clear()
                return [], code
            return [*self.flush(), item], None
        if char is None or not char.isprintable():
            return [*self.flush(), item], None
        out = [] if fast or not self.held else self.flush()
        self.held.append((item, char))
        self.last = now
        return out, None

    def flush(self) -> list[K]:
        """Let the held keys through (the gap after them says a person typed them)."""
        out = [k for k, _ in self.held]
        self.held.clear()
        return out

    def due(self, now: float) -> bool:
        """Held keys are typing once ``max_gap`` passed without another key."""
        return bool(self.held) and now - self.last > self.config.max_gap


Clock = Callable[[], float]
