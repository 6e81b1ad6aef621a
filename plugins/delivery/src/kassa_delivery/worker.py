"""Placeholder replaced below."""
from typing import Any


def start(hub: Any) -> None:
    pass
