"""MAX answers -> Kassa errors: the one place that decides retry, dead letter or stop.

MAX sends the HTTP status plus ``{"code": "...", "message": "..."}``. The 429 body is
unverified, so any 429 is a rate limit and a ``Retry-After`` header is honoured if present.
"""

from __future__ import annotations

from kassa.errors import Permanent, RetryLater


class ApiRetryLater(RetryLater):
    def __init__(self, message: str, *, status: int, code: str, after: float | None = None
                 ) -> None:
        self.status = status
        self.code = code
        super().__init__(message, after=after)


class ApiPermanent(Permanent):
    def __init__(self, reason: str, *, status: int, code: str) -> None:
        self.status = status
        self.code = code
        super().__init__(reason)


class Closed(Permanent):
    """The client was closed (the hub is stopping): a call cut short by it is no fault."""


NOT_READY = "attachment.not.ready"


def retry_after(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form); None if absent or odd."""
    if not header:
        return None
    try:
        return max(0.0, float(header.strip()))
    except ValueError:
        return None


def classify(status: int, code: str, message: str, *, target: str,
             retry_after_header: str | None = None) -> ApiRetryLater | ApiPermanent:
    """The error for a non-200 answer; ``target`` names what was asked (e.g. "chat -7000")."""
    said = f"({status} {code}: {message})" if code else f"({status}: {message})"
    if status == 429:
        return ApiRetryLater(f"MAX rate limit hit for {target} {said}", status=status,
                             code=code, after=retry_after(retry_after_header))
    if status >= 500:
        return ApiRetryLater(f"MAX server error for {target} {said}", status=status, code=code)
    if status == 400 and code == NOT_READY:
        return ApiRetryLater(f"MAX is still processing an uploaded file for {target} {said}",
                             status=status, code=code, after=1.0)
    if status == 401:
        return ApiPermanent("MAX rejected the bot token: check [max] token in kassa.toml (it "
                            f"may be mistyped or revoked on business.max.ru) {said}",
                            status=status, code=code)
    if status == 404 and code == "chat.not.found":
        return ApiPermanent(f"MAX does not know {target}: the chat was deleted, the bot was "
                            "removed from it, or the user never opened the bot; fix chat_id "
                            f"in [[chats]] or add the bot again {said}", status=status, code=code)
    if status == 403:
        return ApiPermanent(f"The bot may not do this in {target}: it is not a member, was "
                            "stopped by the user, or is not an admin of the group; add the bot "
                            f"and make it an admin {said}", status=status, code=code)
    if status in (404, 405):
        return ApiPermanent(f"MAX has no such method for {target}; is [max] base_url right? "
                            f"{said}", status=status, code=code)
    return ApiPermanent(f"MAX refused the request for {target} as invalid {said}",
                        status=status, code=code)


def transport(exc: Exception, *, target: str) -> RetryLater:
    """A network failure or timeout: the request may or may not have reached MAX."""
    return RetryLater(f"MAX unreachable for {target} ({type(exc).__name__})")
