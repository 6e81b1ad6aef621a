"""The store's link to where its documents go (the chain's JetStream), as the till shows it.

The chain outbox service (``kassa_pos.chain.service``) records each publishing round here;
the till app reads ``link(hub)`` every few seconds and shows the offline banner while
``online`` is false (the engine keeps selling; the documents wait in ``pos_chain_out``).
``None``: not a chain store (no ``[pos.chain] nats``), nothing to show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen

OWNER = "pos.chain.link"


@frozen
class LinkState:
    online: bool
    pending: int = 0  # documents numbered but not yet acknowledged by the stream
    since: datetime | None = None  # when the link last changed (went down or came back)
    error: str = ""  # the last failure, one sentence, no secrets


def link(hub: Any) -> LinkState | None:
    """The link as the outbox service last saw it; None when this hub is not a chain store."""
    value = hub.state(OWNER).get("state")
    return value if isinstance(value, LinkState) else None


def record(hub: Any, state: LinkState) -> None:
    """Called by the outbox service after each round (same process, no I/O)."""
    hub.state(OWNER)["state"] = state
