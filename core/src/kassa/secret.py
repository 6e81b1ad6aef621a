"""A secret value that never prints itself: logs, errors and the console see ``***``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


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

    def redactable(self) -> list[str]:
        """The strings log redaction must hide."""
        return [self._value]


def mask_url(url: str) -> str:
    """``nats://user:pw@host:4222`` -> ``nats://user:***@host:4222``; a bare token in the user
    part (``nats://TOKEN@host``) is masked too; a URL without credentials is unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    if "@" not in parts.netloc:
        return url
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, sep, _password = userinfo.partition(":")
    masked = f"{user}:***" if sep else "***"
    return urlunsplit(parts._replace(netloc=f"{masked}@{host}"))


class SecretURL(Secret):
    """A URL that may carry credentials (a store, bus or relay URL): it prints with them
    masked, so a log line still says where the hub connects."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"SecretURL({mask_url(self._value)!r})"

    def __str__(self) -> str:
        return mask_url(self._value)

    def redactable(self) -> list[str]:
        try:
            parts = urlsplit(self._value)
        except ValueError:
            return [self._value]
        if "@" not in parts.netloc:
            return [self._value]
        # the credential alone too (a driver's error may quote it without the URL): the
        # password, or a bare token standing in the user part; a user name is no secret
        credential = parts.password if parts.password is not None else parts.username
        return [self._value, *([credential] if credential else [])]


LONG = 12  # a secret this long is no ordinary word: hidden wherever it appears
# what names a credential in a line: "password=x", "token: x", "password x", "Bearer x"
_FIELD = (r"\b(?:pass(?:word)?|passwd|pwd|token|secret|api[_-]?key|key|auth(?:orization)?"
          r"|bearer|basic)[\"']?\s*[=:]?\s*[\"']?")


def redact(text: str, secrets: list[str]) -> str:
    """Hide each secret in ``text``: a long one (tokens, whole URLs) wherever it appears; a
    short one only where it stands as a credential, as a whole token (after "password",
    "token"..., or in a URL's user part), so a password "kassa" leaves "hub kassa running"."""
    for s in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        if len(s) >= LONG:
            text = text.replace(s, "***")
            continue
        value = re.escape(s)
        text = re.sub(rf"({_FIELD}){value}(?![\w-])", r"\1***", text, flags=re.IGNORECASE)
        text = re.sub(rf"(?<=[:/]){value}(?=@)", "***", text)
    return text
