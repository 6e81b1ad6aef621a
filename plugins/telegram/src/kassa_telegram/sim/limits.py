"""Telegram's flood limits (bots FAQ): ~1 msg/s per chat with short bursts, 20 msg/min per
group, ~30 msg/s per bot. Exceeding one answers 429 with ``retry_after``."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from attrs import define, field


@define
class _Bucket:
    tokens: float
    at: float


@define
class RateLimiter:
    clock: Callable[[], float]
    enabled: bool = True
    chat_rate: float = 1.0  # tokens per second
    chat_burst: int = 3  # short bursts are tolerated
    group_per_min: int = 20
    bot_per_s: int = 30
    _chats: dict[int, _Bucket] = field(factory=dict)
    _groups: dict[int, deque[float]] = field(factory=dict)
    _bot: deque[float] = field(factory=deque)

    def check(self, chat_id: int, is_group: bool) -> int | None:
        """Count one send; return ``retry_after`` seconds if over a limit (nothing counted)."""
        if not self.enabled:
            return None
        now = self.clock()
        waits = []
        bucket = self._chats.setdefault(chat_id, _Bucket(float(self.chat_burst), now))
        bucket.tokens = min(float(self.chat_burst),
                            bucket.tokens + (now - bucket.at) * self.chat_rate)
        bucket.at = now
        if bucket.tokens < 1.0:
            waits.append((1.0 - bucket.tokens) / self.chat_rate)
        group = self._groups.setdefault(chat_id, deque()) if is_group else None
        if group is not None:
            while group and group[0] <= now - 60.0:
                group.popleft()
            if len(group) >= self.group_per_min:
                waits.append(group[0] + 60.0 - now)
        while self._bot and self._bot[0] <= now - 1.0:
            self._bot.popleft()
        if len(self._bot) >= self.bot_per_s:
            waits.append(self._bot[0] + 1.0 - now)
        if waits:
            return max(1, math.ceil(max(waits)))
        bucket.tokens -= 1.0
        if group is not None:
            group.append(now)
        self._bot.append(now)
        return None
