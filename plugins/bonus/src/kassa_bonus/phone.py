"""Phone numbers as guest identifiers: one E.164 form, whatever the guest typed."""

from __future__ import annotations

import phonenumbers

from kassa_bonus.store import LedgerError


def normalize_phone(text: str, region: str = "RU") -> str:
    """``8 (916) 123-45-67`` -> ``+79161234567``; anything that is not a possible number is
    refused with a message naming it."""
    raw = (text or "").strip()
    if raw.startswith("8") and region == "RU" and len(_digits(raw)) == 11:
        raw = "+7" + _digits(raw)[1:]  # the Russian trunk prefix, as guests type it
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise LedgerError("bad_phone", "not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise LedgerError("bad_phone", "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    d = _digits(text)
    return text.strip().startswith("+") or (len(d) in (10, 11) and d[0] in "789")


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())
