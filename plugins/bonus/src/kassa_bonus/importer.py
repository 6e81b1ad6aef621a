"""Import a guest base from CSV or XLSX with a column mapping.

A dry run reports what would change and every rejected row with its reason; a real run does
the same and applies it. Re-running the same file changes nothing: guests are matched by phone
(then card), and an opening balance is posted under a key derived from the guest's phone/card.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from attrs import define, field
from sqlalchemy import select

from kassa_bonus import schema
from kassa_bonus.phone import normalize_phone
from kassa_bonus.service import BonusService
from kassa_bonus.store import LedgerError

FIELDS = ("name", "phone", "email", "birthday", "card", "groups", "balance")


@define
class ImportReport:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(factory=list)  # (row number, reason)
    changes: list[tuple[int, str]] = field(factory=list)  # (row number, what changes)


def parse_mapping(text: str) -> dict[str, str]:
    """``phone=Телефон,name=ФИО`` -> {field: column}; unknown fields are refused."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, col = part.partition("=")
        if not sep or key.strip() not in FIELDS:
            raise LedgerError("bad_mapping", f"mapping {part!r}: expected field=Column with field "
                              f"one of {', '.join(FIELDS)}")
        out[key.strip()] = col.strip()
    if "phone" not in out and "card" not in out:
        raise LedgerError("bad_mapping", "map at least phone or card (they identify a guest)")
    return out


def read_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        ws = openpyxl.load_workbook(path, read_only=True, data_only=True).active
        rows = list(ws.iter_rows(values_only=True))
        head = [str(h or "").strip() for h in rows[0]] if rows else []
        return [{h: "" if v is None else str(v) for h, v in zip(head, r, strict=False)}
                for r in rows[1:]]
    text = path.read_bytes().decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(io.StringIO(text), dialect=dialect)]


def _birthday(text: str) -> date | None:
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise LedgerError("bad_birthday", f"birthday {text!r}: expected YYYY-MM-DD or DD.MM.YYYY")


def _row(raw: dict[str, str], mapping: dict[str, str], region: str) -> dict[str, Any]:
    missing = [c for c in mapping.values() if c not in raw]
    if missing:
        raise LedgerError("bad_mapping", f"no column {missing[0]!r} in the file")
    v = {f: raw.get(c, "").strip() for f, c in mapping.items()}
    phone = normalize_phone(v["phone"], region) if v.get("phone") else None
    if not phone and not v.get("card"):
        raise LedgerError("no_identity", "neither phone nor card")
    balance = v.get("balance") or "0"
    if not balance.isdigit():
        raise LedgerError("bad_amount",
                          f"balance {balance!r}: expected whole hundredths of a point")
    return dict(name=v.get("name", ""), phone=phone, email=v.get("email") or None,
                birthday=_birthday(v.get("birthday", "")), card=v.get("card") or None,
                groups=[g.strip() for g in v.get("groups", "").split(";") if g.strip()],
                balance=int(balance))


async def import_guests(svc: BonusService, rows: list[dict[str, str]], mapping: dict[str, str],
                        *, dry_run: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    seen: set[str] = set()
    for n, raw in enumerate(rows, start=2):  # row 1 is the header
        try:
            r = _row(raw, mapping, svc.settings.region)
            ident = r["phone"] or f"card:{r['card']}"
            if ident in seen:
                raise LedgerError("duplicate", "the same guest appears earlier in the file")
            seen.add(ident)
            await _apply(svc, n, r, ident, report, dry_run)
        except LedgerError as exc:
            report.rejected.append((n, str(exc)))
    return report


async def _apply(svc: BonusService, n: int, r: dict[str, Any], ident: str,
                 report: ImportReport, dry_run: bool) -> None:
    gid = await _existing(svc, r)
    if gid is None:
        report.created += 1
        report.changes.append((n, "create" + (f" with balance {r['balance']}" if r["balance"]
                                              else "")))
        if dry_run:
            return
        out = await svc.guests.register("import", f"guest:{ident}", name=r["name"],
                                        phone=r["phone"], email=r["email"],
                                        birthday=r["birthday"], groups=r["groups"], card=r["card"])
        gid = out.guest
    else:
        diff = await _diff(svc, gid, r)
        if diff:
            report.updated += 1
            report.changes.append((n, "update " + ", ".join(sorted(diff))))
            if not dry_run:
                await svc.guests.update_profile(gid, **diff)
        else:
            report.unchanged += 1
    if r["balance"] and not dry_run:
        acc = await svc.guests.account_of(gid, "bonus")
        await svc.ledger.earn("import", f"balance:{ident}", acc, r["balance"],
                              expires_at=svc.lot_expiry(), promo="import")


async def _existing(svc: BonusService, r: dict[str, Any]) -> str | None:
    G, IDT = schema.guest, schema.identifier
    async with svc.store.read() as conn:
        if r["phone"]:
            gid = (await conn.execute(select(G.c.id).where(G.c.phone == r["phone"]))).scalar()
            if gid:
                return str(gid)
        if r["card"]:
            gid = (await conn.execute(select(IDT.c.guest_id).where(
                IDT.c.kind == "card", IDT.c.value == r["card"]))).scalar()
            if gid:
                return str(gid)
    return None


async def _diff(svc: BonusService, gid: str, r: dict[str, Any]) -> dict[str, Any]:
    g = await svc.guest(gid)
    have = {"name": g.name, "email": g.email, "birthday": g.birthday}
    return {k: r[k] for k in have if r[k] not in (None, "") and r[k] != have[k]}
