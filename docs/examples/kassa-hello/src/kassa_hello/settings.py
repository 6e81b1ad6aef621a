"""[sites.hello]: where the door counter of one site answers."""

from __future__ import annotations

from attrs import define


@define
class HelloSettings:
    port: int  # required: the counter's TCP port
    host: str = "127.0.0.1"
    poll_interval: float = 1.0  # seconds between reads
