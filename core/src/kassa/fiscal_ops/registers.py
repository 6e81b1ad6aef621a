"""Which registers serve which site, and a register's status as plain data (the API, the
console, the CLI and the monitor read the same fields)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from kassa.errors import UserError
from kassa.model import FiscalStatus


@frozen
class Register:
    site: str
    name: str
    station: str | None = None  # the till that names it, when it is not the site's own


def registers(settings: Any, installed: Iterable[str]) -> list[Register]:
    """Every (site, register) pair: the site's ``fiscal``, each station's own, or, when no
    site or station names one, the only installed register at every site (what
    ``hub.fiscal`` would pick; a register some site names is not also another site's)."""
    names = list(installed)
    out: list[Register] = []
    named = any(s.fiscal for s in settings.sites) or any(st.fiscal for st in settings.stations)
    for site in settings.sites:
        seen: set[str] = set()
        if site.fiscal:
            out.append(Register(site.code, site.fiscal))
            seen.add(site.fiscal)
        for st in settings.stations:
            if st.site == site.code and st.fiscal and st.fiscal not in seen:
                out.append(Register(site.code, st.fiscal, st.code))
                seen.add(st.fiscal)
        if not seen and not named and len(names) == 1:
            out.append(Register(site.code, names[0]))
    return [r for r in out if r.name in names]


def find(settings: Any, installed: Iterable[str], *, site: str | None,
         register: str | None, locale: str = "ru") -> list[Register]:
    """The registers a command names; a ``UserError`` (one sentence) for an unknown site or
    register, or a site that has none."""
    from kassa.fiscal_ops.texts import say

    names = list(installed)
    if site is not None and settings.site(site) is None:
        raise UserError(say("err.site", locale, site=site))
    if register is not None and register not in names:
        raise UserError(say("err.register", locale, register=register,
                            known=", ".join(sorted(names)) or "—"))
    found = [r for r in registers(settings, names)
             if (site is None or r.site == site) and (register is None or r.name == register)]
    if not found:
        if site is not None and register is not None:
            raise UserError(say("err.not_site", locale, register=register, site=site))
        raise UserError(say("err.none", locale, site=site or "—"))
    return found


def one(settings: Any, installed: Iterable[str], *, site: str | None, register: str | None,
        locale: str = "ru") -> Register:
    """Exactly one register for an action; several -> name one (a sentence listing them)."""
    from kassa.fiscal_ops.texts import say

    found = find(settings, installed, site=site, register=register, locale=locale)
    if len({(r.site, r.name) for r in found}) > 1:
        raise UserError(say("err.ambiguous", locale, known=", ".join(
            f"{r.site}/{r.name}" for r in found)))
    return found[0]


def aware(status: FiscalStatus) -> FiscalStatus:
    """The status with its times timezone-aware (a register that reports naive times means
    UTC, as the store does), so ages can be computed."""
    import attrs

    fix: dict[str, Any] = {}
    for name in ("shift_opened_at", "oldest_unsent_at", "fn_expires_at"):
        value = getattr(status, name)
        if value is not None and value.tzinfo is None:
            fix[name] = value.replace(tzinfo=UTC)
    return attrs.evolve(status, **fix) if fix else status


def status_data(status: FiscalStatus, now: datetime) -> dict[str, Any]:
    """The status with the ages people need (hours, days) computed once, here."""
    status = aware(status)
    age = (now - status.shift_opened_at).total_seconds() / 3600 \
        if status.shift_open and status.shift_opened_at else None
    unsent_age = (now - status.oldest_unsent_at).total_seconds() / 3600 \
        if status.unsent_documents and status.oldest_unsent_at else None
    fn_days = (status.fn_expires_at - now).total_seconds() / 86400 \
        if status.fn_expires_at else None
    return {
        "shift_open": status.shift_open, "shift": status.shift,
        "shift_opened_at": _iso(status.shift_opened_at),
        "shift_age_hours": None if age is None else round(age, 2),
        "shift_expired": status.shift_expired,
        "unsent_documents": status.unsent_documents,
        "oldest_unsent_at": _iso(status.oldest_unsent_at),
        "oldest_unsent_hours": None if unsent_age is None else round(unsent_age, 2),
        "fn": status.fn, "fn_expires_at": _iso(status.fn_expires_at),
        "fn_days_left": None if fn_days is None else round(fn_days, 1),
        "fn_used_percent": status.fn_used_percent,
        "fn_full": status.fn_full, "paper_ok": status.paper_ok, "ready": status.ready,
        "message": status.message,
    }


def _iso(d: datetime | None) -> str | None:
    return d.isoformat() if d else None


def document_data(doc: Any) -> dict[str, Any]:
    """A FiscalDocument as JSON with its QR text and the printed copy, when the register
    gave one (``detail["text"]`` or ``detail["lines"]``)."""
    from kassa import codec

    data: dict[str, Any] = codec.to_dict(doc)
    data["qr"] = doc.qr
    data["text"] = printed_text(doc.detail)
    return data


def printed_text(detail: Mapping[str, Any]) -> str | None:
    text = detail.get("text")
    if isinstance(text, str) and text:
        return text
    lines = detail.get("lines")
    if isinstance(lines, list) and lines:
        return "\n".join(str(x) for x in lines)
    return None
