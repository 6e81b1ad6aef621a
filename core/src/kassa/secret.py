"""A secret value that never prints itself: logs, errors and the console see ``***``."""

from __future__ import annotations


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value, for the one place that sends it over the wire."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"


def redact(text: str, secrets: list[str]) -> str:
    """Replace every occurrence of each secret in ``text`` (tokens inside URLs too)."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return text
