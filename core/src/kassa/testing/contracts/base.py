"""What every contract suite shares: the component under test next to a real journal on a
temporary SQLite store, and the probes the author provides.

A suite is a pytest class; subclass it and give the factory:

    class TestMyRegister(FiscalDeviceContract):
        make_device = staticmethod(lambda tmp_path: MyRegister(...))  # or no argument

Probes (override when your component differs from the reference fakes):
``effects(component)`` counts what happened at the far end (documents, charges, jobs);
``slow(component)`` makes the next call take a while (for cancellation);
``lose_answer(component)`` makes the next call act and then lose its answer.
Without ``slow`` / ``lose_answer`` the tests needing them are skipped.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import anyio
import pytest

from kassa.journal import Journal
from kassa.store import Store

T = TypeVar("T")


class ComponentContract:
    """Base of the suites. ``factory`` names the attribute holding the author's factory."""

    pytestmark: ClassVar[Any] = pytest.mark.anyio
    factory: ClassVar[str] = "make_device"
    concern: ClassVar[str] = ""

    # --- probes ---------------------------------------------------------------------------
    async def effects(self, component: Any) -> int:
        """How many effects the far end has seen. Default: ``component.effects()``."""
        probe = getattr(component, "effects", None)
        if probe is None:
            pytest.skip("give the suite an effects(component) probe")
        n = probe()
        return int(await n if inspect.isawaitable(n) else n)

    def slow(self, component: Any, seconds: float) -> None:
        """Make the next calls wait ``seconds`` before acting. Default: ``.delay``."""
        if not hasattr(component, "delay"):
            pytest.skip("give the suite a slow(component, seconds) probe")
        component.delay = seconds

    def lose_answer(self, component: Any) -> None:
        """Make the next call act, then fail before answering. Default: ``.drop_answers``."""
        if not hasattr(component, "drop_answers"):
            pytest.skip("give the suite a lose_answer(component) probe")
        component.drop_answers = 1

    # --- set-up ---------------------------------------------------------------------------
    @asynccontextmanager
    async def harness(self, tmp_path: Path) -> AsyncIterator[tuple[Any, Journal]]:
        """A fresh component (started if it is a device) and a journal beside it."""
        make = getattr(self, self.factory, None)
        if make is None:
            raise TypeError(f"{type(self).__name__}: set {self.factory} = staticmethod(...)")
        # a factory may take the test's folder (a file, a socket path, a simulator's data)
        wants = "tmp_path" in inspect.signature(make).parameters
        made = make(tmp_path=tmp_path) if wants else make()
        component = await made if inspect.isawaitable(made) else made
        store = Store(f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}")
        await store.prepare()
        started = callable(getattr(component, "start", None))
        try:
            if started:
                await component.start()
            yield component, Journal(store, now=lambda: datetime.now(UTC))
        finally:
            if started:
                await component.stop()
            await store.close()

    async def through(self, journal: Journal, component: Any, kind: str, key: str,
                      call: Callable[[], Awaitable[T]], result_type: type[T],
                      request: Any = None, lookup: Any = ...) -> T:
        """Run a call as the core does: through the journal, bounded in time."""
        with anyio.fail_after(30):
            return await journal.run(
                key, component=component.name, concern=self.concern, kind=kind, site="s1",
                station=None, request=request if request is not None else {"kind": kind},
                call=call, lookup=component.lookup if lookup is ... else lookup,
                result_type=result_type)
