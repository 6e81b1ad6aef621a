"""Sliding-window budgets: never more than ``limit`` sends in any ``period`` seconds."""

from __future__ import annotations

import time
from collections import deque


class Window:
    def __init__(self, limit: int, period: float, *, margin: float = 1.05) -> None:
        self.limit = max(1, limit)
        self.period = period * margin  # a little slack: the server's clock is not ours
        self.sent: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.sent and now - self.sent[0] >= self.period:
            self.sent.popleft()

    def wait_time(self, now: float | None = None) -> float:
        """Seconds until one more send fits (0 if it fits now)."""
        now = time.monotonic() if now is None else now
        self._trim(now)
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.period - now

    def take(self, now: float | None = None) -> None:
        self.sent.append(time.monotonic() if now is None else now)


def per_second(rate: float) -> Window:
    """A budget of ``rate`` per second as a window (1.0 -> 1 per 1 s; 30 -> 30 per 1 s)."""
    if rate >= 1:
        return Window(int(rate), 1.0)
    return Window(1, 1.0 / rate)
