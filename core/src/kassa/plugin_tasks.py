"""The tasks a hub runs for plugins (sources, ``hub.spawn`` jobs): kept running by the
supervisor, and stopped with one cancel each, waited for, before the hub's task group ends."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio

from kassa.supervision import Supervisor


class PluginTasks:
    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor
        self._tasks: dict[asyncio.Task[Any], bool] = {}  # task -> it runs a source
        self._stopped: set[asyncio.Task[Any]] = set()  # ... that we cancelled

    async def run(self, fn: Any, what: str, *, source: bool = False) -> None:
        """Keep ``fn()`` running in this task (a crash restarts it with backoff)."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks[task] = source
        try:
            await self.supervisor.keep_running(fn, what=what)
        except asyncio.CancelledError:
            if task not in self._stopped:
                raise  # not our stop: the task group's own cancellation
            task.uncancel()  # stopped by the hub: done, not an error of the group
        finally:
            self._tasks.pop(task, None)

    async def stop(self, *, sources: bool, within: float = 5.0) -> None:
        """Cancel the sources (or the jobs) once each (asyncio's edge-triggered cancel) and
        wait for them. A cancel scope cancels again at every await, also the one SQLAlchemy
        shields to close a connection whose query was cut off (a plugin reading through
        ``hub.engine``): it then stops aiosqlite's thread under a close that waits forever,
        a task left behind that the event loop's close waits on."""
        tasks = [t for t, is_source in self._tasks.items() if is_source == sources]
        for task in tasks:
            self._stopped.add(task)
            task.cancel()
        with anyio.move_on_after(within):
            while any(t in self._tasks for t in tasks):  # noqa: ASYNC110 (tasks ending)
                await anyio.sleep(0.005)
