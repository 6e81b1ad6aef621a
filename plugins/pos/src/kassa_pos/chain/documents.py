"""Chain documents: what a store sends up (a sale, a return, an audit event, a shift, a
reference package applied), and the centre's per-till order rule.

A document's id is the store document's own id (a sale's check id, a return's key, a
shift's ``site:till:n``, an audit event's id), so it is also the ``Nats-Msg-Id`` (JetStream
drops a repeat inside the stream's duplicate window) and the centre's primary key (``INSERT
... ON CONFLICT (doc_id) DO NOTHING`` drops it after the window). ``seq`` counts the till's
documents from 1 without gaps, assigned once in the store; the centre applies a till's
documents in that order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from attrs import frozen

from kassa_pos.chain.config import subject

KINDS = ("sale", "return", "audit", "shift", "ref", "stock")
REF_TILL = "-"  # a ``ref`` or ``stock`` document is the store's, no till's: its pseudo-till


@frozen
class ChainDoc:
    doc_id: str
    store: str
    till: str
    seq: int
    kind: str
    at: datetime
    body: Mapping[str, Any]

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"document kind {self.kind!r}: one of {', '.join(KINDS)}")
        if self.seq < 1:
            raise ValueError(f"document {self.doc_id}: till sequence starts at 1")
        if self.at.tzinfo is None:
            raise ValueError(f"document {self.doc_id}: time without a zone")

    @property
    def subject(self) -> str:
        return subject(self.store, self.till)

    @property
    def headers(self) -> dict[str, str]:
        return {"Nats-Msg-Id": self.doc_id}

    def encode(self) -> bytes:
        return json.dumps({"doc_id": self.doc_id, "store": self.store, "till": self.till,
                           "seq": self.seq, "kind": self.kind, "at": self.at.isoformat(),
                           "body": self.body}, ensure_ascii=False, sort_keys=True,
                          default=str).encode()

    @classmethod
    def decode(cls, data: bytes) -> ChainDoc:
        try:
            d = json.loads(data)
            return cls(doc_id=str(d["doc_id"]), store=str(d["store"]), till=str(d["till"]),
                       seq=int(d["seq"]), kind=str(d["kind"]),
                       at=datetime.fromisoformat(d["at"]), body=dict(d["body"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"unreadable chain document: {exc}") from exc


def _id(kind: str, row: Mapping[str, Any]) -> str:
    if kind == "sale":
        return f"sale:{row['check_id']}"
    if kind == "return":
        return f"return:{row['key']}"
    if kind == "shift":
        return f"shift:{row['site']}:{row['till']}:{row['n']}"
    if kind == "ref":
        return f"ref:{row['kind']}:{row['version']}:{row['store']}"
    if kind == "stock":
        return f"stock:{row['id']}"
    return f"audit:{row['id']}"


def _time(kind: str, row: Mapping[str, Any]) -> datetime:
    value = {"sale": "issued_at", "return": "created_at", "shift": "closed_at",
             "audit": "occurred_at", "ref": "applied_at", "stock": "posted_at"}[kind]
    at = row[value]
    if not isinstance(at, datetime):
        raise ValueError(f"{kind} {_id(kind, row)}: no {value}")
    # SQLite hands timestamps back without their zone; the store writes them in UTC
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, str) and v[:1] in "[{":  # the pos tables keep JSON in text columns
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def build(kind: str, row: Mapping[str, Any], *, store: str, seq: int) -> ChainDoc:
    """A chain document from a pos table row (``pos_pay_sale``, ``pos_pay_return``,
    ``pos_pay_shift``, ``pos_ref_applied`` with the store), or an ``events`` row of a
    ``pos_*`` audit kind."""
    till = str(row.get("till") or row.get("employee") or "")
    if kind == "audit":
        payload = json.loads(row["payload"])
        till = str(payload.get("station") or payload.get("till") or till or "-")
        body: dict[str, Any] = {"kind": row["kind"], "event": payload}
    else:
        body = {k: _plain(v) for k, v in row.items()}
    if not till:
        raise ValueError(f"{kind} {_id(kind, row)}: no till")
    return ChainDoc(doc_id=_id(kind, row), store=store, till=till, seq=seq, kind=kind,
                    at=_time(kind, row), body=body)


class Verdict(Enum):
    APPLY = "apply"  # the next one of its till
    WAIT = "wait"  # a gap before it: parked until the missing ones arrive
    DUPLICATE = "duplicate"  # already applied (a replay)


def verdict(last_seq: int, doc_seq: int) -> Verdict:
    """The centre's rule for a till whose last applied sequence is ``last_seq``."""
    if doc_seq <= last_seq:
        return Verdict.DUPLICATE
    return Verdict.APPLY if doc_seq == last_seq + 1 else Verdict.WAIT


def in_order(last_seq: int, parked: Mapping[int, ChainDoc],
             doc: ChainDoc) -> tuple[list[ChainDoc], dict[int, ChainDoc]]:
    """What to apply now given one arriving document and the till's parked ones: the
    contiguous run from ``last_seq + 1``; the rest stays parked."""
    waiting = dict(parked)
    v = verdict(last_seq, doc.seq)
    if v is Verdict.DUPLICATE:
        return [], waiting
    waiting.setdefault(doc.seq, doc)
    run: list[ChainDoc] = []
    nxt = last_seq + 1
    while nxt in waiting:
        run.append(waiting.pop(nxt))
        nxt += 1
    return run, waiting
