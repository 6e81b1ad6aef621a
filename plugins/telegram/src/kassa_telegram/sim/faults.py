"""Scripted failures: the next N calls (of a method, or any) fail in a chosen way."""

from __future__ import annotations

from attrs import define, field

KINDS = (
    "server_error",  # 500 with a JSON envelope
    "bad_gateway",  # 502 with an HTML body, as a front proxy answers
    "flood",  # 429 with parameters.retry_after
    "timeout",  # hold the request `delay` seconds, then answer normally
    "drop_before",  # close the connection without doing anything
    "drop_after",  # do the call (the message IS stored), then close the connection
)


@define
class Fault:
    kind: str
    method: str | None = None  # lower-case method name; None = any Bot API call
    remaining: int = 1
    retry_after: int = 5
    delay: float = 5.0
    skip: int = 0  # let this many matching calls through first


@define
class Faults:
    queue: list[Fault] = field(factory=list)

    def add(self, kind: str, *, count: int = 1, method: str | None = None,
            retry_after: int = 5, delay: float = 5.0, skip: int = 0) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        self.queue.append(Fault(kind, method.lower() if method else None, count,
                                retry_after, delay, skip))

    def take(self, method: str) -> Fault | None:
        for fault in self.queue:
            if fault.method in (None, method):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.queue.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.queue.clear()
