"""pytest plugin (entry point ``pytest11``): fixtures for Kassa plugin authors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def register_plugin() -> Iterator[Any]:
    """``register_plugin(obj)`` adds a plugin to the process-wide manager until teardown."""
    from kassa.plugins import get_plugins

    pm = get_plugins().pm
    names: list[str] = []

    def register(obj: Any, name: str | None = None) -> str:
        n = pm.register(obj, name=name or f"test-{id(obj)}")
        assert n is not None
        names.append(n)
        return n

    yield register
    for n in names:
        pm.unregister(name=n)


@pytest.fixture
def fake_clock() -> Any:
    from kassa.testing import FakeClock

    return FakeClock()


@pytest.fixture
def capture_channel() -> Any:
    from kassa.testing import CaptureChannel

    return CaptureChannel()
