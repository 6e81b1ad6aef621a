"""A hub process for the crash-loop test: ``python -m tests.crash.hub_proc CONFIG T0 RATE N``.

It is ``kassa run`` (the same runner: signals, start-up, drain) with one extra source that
plays a fixed schedule: event ``i`` (order ``E<i>``) is due at ``T0 + i / RATE`` (Unix time).
On every start it re-emits everything already due, as r_keeper re-sends what was never
acknowledged; the event log's key makes those repeats no-ops. So whatever a kill cut off is
offered again, and "lost" means only what the hub acknowledged and then never delivered.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import Any

import anyio
from kassa import hookimpl
from kassa.model import Event, Severity

SITE = "r1"


class Schedule:
    name = "crash-schedule"
    site = SITE

    def __init__(self, t0: float, rate: float, n: int) -> None:
        self.t0, self.rate, self.n = t0, rate, n

    async def run(self, emit: Any) -> None:
        for i in range(self.n):
            due = self.t0 + i / self.rate
            if due > time.time():
                await anyio.sleep(due - time.time())
            await emit(Event(site=SITE, kind="crash_test_alert", source_key=f"E{i:03d}",
                             occurred_at=datetime.fromtimestamp(due, UTC),
                             severity=Severity.DANGER, order=f"E{i:03d}",
                             employee="Иванова", amount=100 * i))
        await anyio.sleep_forever()

    def health(self) -> dict[str, Any]:
        return {"online": True}


class SchedulePlugin:
    def __init__(self, source: Schedule) -> None:
        self.source = source

    @hookimpl
    def register_sources(self, hub: Any) -> list[Any]:
        return [self.source]


def main() -> None:
    from kassa.cli import setup_logging
    from kassa.config import load
    from kassa.plugins import Plugins, new_manager, set_plugins
    from kassa.runner import run_hub

    config, t0, rate, n = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    plugins = Plugins(new_manager(extra=[SchedulePlugin(Schedule(t0, rate, n))]))
    set_plugins(plugins)
    setup_logging(False)
    settings = load(config, sections=plugins.settings_sections())
    anyio.run(run_hub, settings)


if __name__ == "__main__":
    main()
