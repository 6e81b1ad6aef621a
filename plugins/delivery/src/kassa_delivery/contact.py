"""The buyer's contact for tag 1008, per order, in the business's order of preference:

1. the delivery address's "e-mail or phone for the OFD receipt" field, if filled;
2. else the client's general e-mail;
3. else the first *mobile* phone of the delivery address.

Each candidate is validated (phonenumbers: a valid Russian mobile number, written E.164;
email-validator without a DNS look-up). An invalid candidate is a warning and the chain goes
on; when none is left the receipt is still made, without 1008 and without a copy.
"""

from __future__ import annotations

from collections.abc import Sequence

import phonenumbers
from attrs import frozen
from email_validator import EmailNotValidError, validate_email

_MOBILE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


@frozen
class Warning_:
    code: str  # contact_<source>_invalid | contact_missing
    value: str  # what was given, masked (never the whole contact in a log or a chat)


@frozen
class Contact:
    value: str | None  # +7XXXXXXXXXX or an e-mail; None: no 1008
    kind: str | None  # phone | email
    source: str | None  # ofd_field | client_email | address_phone
    warnings: tuple[Warning_, ...]


def mask(value: str) -> str:
    """``iv***@mail.ru``, ``+7916***67``: enough for a manager to recognise, not to reuse."""
    v = value.strip()
    if "@" in v:
        local, _, domain = v.partition("@")
        return f"{local[:2]}***@{domain}"
    return f"{v[:5]}***{v[-2:]}" if len(v) > 7 else "***"


def email(value: str) -> str | None:
    try:
        return str(validate_email(value.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        return None


def mobile(value: str, region: str = "RU") -> str | None:
    """The E.164 form of a valid mobile number of ``region``; None for anything else."""
    try:
        n = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n) or phonenumbers.region_code_for_number(n) != region:
        return None
    if phonenumbers.number_type(n) not in _MOBILE:
        return None
    return str(phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164))


def resolve(ofd_field: str | None, client_email: str | None, phones: Sequence[str],
            region: str = "RU") -> Contact:
    warnings: list[Warning_] = []
    if ofd_field and ofd_field.strip():
        v = ofd_field.strip()
        found = (email(v), "email") if "@" in v else (mobile(v, region), "phone")
        if found[0]:
            return Contact(found[0], found[1], "ofd_field", ())
        warnings.append(Warning_("contact_ofd_field_invalid", mask(v)))
    if client_email and client_email.strip():
        ok = email(client_email)
        if ok:
            return Contact(ok, "email", "client_email", tuple(warnings))
        warnings.append(Warning_("contact_client_email_invalid", mask(client_email)))
    for p in phones:
        ok = mobile(p, region)
        if ok:
            return Contact(ok, "phone", "address_phone", tuple(warnings))
    if phones:
        warnings.append(Warning_("contact_no_mobile", ", ".join(mask(p) for p in phones[:3])))
    warnings.append(Warning_("contact_missing", ""))
    return Contact(None, None, None, tuple(warnings))
