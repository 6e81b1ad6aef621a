"""Returns in any store, the centre's half: a ledger of what each sale has given back, asked
over NATS request/reply by the store that takes the goods back.

The centre knows every sale its stores sent up (``pos_chain_doc``, its lines in
``pos_chain_line``). A store returning a check sold elsewhere asks ``find`` (the sale and,
per line, what is left to return), then ``reserve`` under the return's key: in one
PostgreSQL transaction, holding the sale's advisory lock, the claim is written only if every
line's returned quantity (reserved + applied claims) plus the new one stays within what was
sold, so of two stores returning the same line at once exactly one wins. A declined refund
``release``s the claim; the return's document, when it arrives with the store's other
documents, marks the claim ``applied``.

A return the centre did not reserve (the origin store's own return, or one accepted while
the link was down) is claimed when its document is ingested, in the ingest transaction; one
that overdraws a line is kept as ``conflict`` (the money has moved: a manager decides) and
listed by ``conflicts``.

Subjects (core NATS, through the store's leaf link; the centre answers in a queue group):
``pos.xreturn.find``, ``pos.xreturn.reserve``, ``pos.xreturn.release``. A request and
its answer are JSON objects; a refusal is ``{"error": code, ...params}``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import anyio
import sqlalchemy as sa
from kassa.errors import RetryLater, UserError
from kassa.model import Event
from kassa.secret import mask_url

from kassa_pos.chain.analysis import return_lines
from kassa_pos.chain.documents import ChainDoc
from kassa_pos.chain.ingest import claim_line_t, claim_t, doc_t, line_t

log = logging.getLogger("kassa_pos.chain.xreturns")
SUBJECT = "pos.xreturn"  # not under chain.>: the chain streams capture that
QUEUE = "pos-xreturn"
HOLDING = ("reserved", "applied", "conflict")  # the claims that count as given back

_TEXT: dict[str, dict[str, str]] = {
    "ru": {
        "not_found": "Чек не найден в продажах сети.",
        "no_line": "В чеке нет строки {line}.",
        "too_much": "По строке {line} можно вернуть не больше {left} (продано {sold}, уже "
                    "возвращено {returned}).",
        "bad_quantity": "Количество к возврату по строке {line} должно быть больше нуля.",
        "other_lines": "Этот возврат уже зарезервирован с другими строками.",
        "released": "Этот возврат уже отменён: начните новый.",
        "bad_request": "Центр не понял запрос: {why}.",
        "offline": "Нет связи с центром: возврат чека другого магазина сейчас невозможен.",
    },
    "en": {
        "not_found": "The check is not among the chain's sales.",
        "no_line": "The check has no line {line}.",
        "too_much": "At most {left} of line {line} can be returned ({sold} sold, {returned} "
                    "already returned).",
        "bad_quantity": "The quantity to return on line {line} must be above zero.",
        "other_lines": "This return is already reserved with other lines.",
        "released": "This return was cancelled: start a new one.",
        "bad_request": "The centre did not understand the request: {why}.",
        "offline": "The centre is out of reach: a check of another store cannot be "
                   "returned now.",
    },
}


class Refused(UserError):
    """The centre's refusal, one sentence (``code`` and ``params`` as on the wire)."""

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.text("en"))

    def text(self, locale: str = "ru") -> str:
        texts = _TEXT.get(locale, _TEXT["ru"])
        return texts.get(self.code, self.code).format(**self.params)


class Offline(RetryLater):
    """No answer from the centre (no responders, a timeout): the store's policy decides."""

    def __init__(self, why: str) -> None:
        super().__init__(f"the centre did not answer: {why}", after=5)

    def text(self, locale: str = "ru") -> str:
        return _TEXT.get(locale, _TEXT["ru"])["offline"]


def _now() -> datetime:
    return datetime.now(UTC)


def _qty(v: Any) -> Decimal:
    return Decimal(str(v)).quantize(Decimal("0.001"))


def _show(q: Decimal) -> str:
    return format(q.normalize(), "f")


async def _lock(conn: Any, sale: str) -> None:
    # one claim at a time per sale, across every centre process (ends with the transaction)
    await conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                       {"k": f"pos_chain_claim:{sale}"})


async def _sold(conn: Any, sale: str) -> dict[int, tuple[Decimal, str]]:
    rows = (await conn.execute(sa.select(line_t.c.line_no, line_t.c.qty, line_t.c.item_code)
                               .where(line_t.c.doc_id == f"sale:{sale}", line_t.c.sign == 1)
                               )).all()
    return {int(r.line_no): (_qty(r.qty), str(r.item_code)) for r in rows}


async def _returned(conn: Any, sale: str) -> dict[int, Decimal]:
    c, cl = claim_t.c, claim_line_t.c
    rows = (await conn.execute(
        sa.select(cl.line_no, sa.func.sum(cl.qty)).select_from(
            claim_line_t.join(claim_t, c.key == cl.key))
        .where(c.sale == sale, c.status.in_(HOLDING)).group_by(cl.line_no))).all()
    return {int(n): _qty(q) for n, q in rows}


async def find(conn: Any, *, check_id: str | None = None, fn: str | None = None,
               fd: int | None = None) -> dict[str, Any]:
    """The sale (by its check id, or by the register's FN and document number as in the
    receipt's QR) with what each line has left to return. ``Refused("not_found")``."""
    q = sa.select(doc_t.c.doc_id, doc_t.c.store, doc_t.c.body).where(doc_t.c.kind == "sale")
    if fn and fd is not None and not check_id:
        check_id = await _by_fiscal(conn, fn, fd)
        if check_id is None:
            raise Refused("not_found")
    if check_id:
        q = q.where(doc_t.c.doc_id == f"sale:{check_id}")
    else:
        raise Refused("bad_request", why="a check id or the FN and document number")
    row = (await conn.execute(q.limit(1))).first()
    if row is None:
        raise Refused("not_found")
    body = json.loads(row.body)
    sale = str(body.get("check_id") or row.doc_id.removeprefix("sale:"))
    receipt = body.get("receipt") if isinstance(body.get("receipt"), dict) else {}
    # the store sends its sale lines (name, money after discounts, the line itself): what a
    # refund at another store is built from; the receipt's lines name them otherwise
    sent = {int(r.get("line_no", i)): r for i, r in enumerate(body.get("lines") or ())}
    names = [str(ln.get("name") or "") for ln in receipt.get("lines") or ()]
    sold, back = await _sold(conn, sale), await _returned(conn, sale)
    lines = []
    for n, (qty, code) in sorted(sold.items()):
        got = sent.get(n, {})
        lines.append({"line_no": n, "item_code": code,
                      "name": got.get("name") or (names[n] if n < len(names) else code),
                      "sold": _show(qty), "returned": _show(back.get(n, Decimal(0))),
                      "left": _show(qty - back.get(n, Decimal(0))),
                      "total": got.get("total"), "line": got.get("line")})
    return {"check_id": sale, "store": row.store, "till": body.get("till"),
            "number": body.get("number"), "fn": body.get("fn"), "fd": body.get("fd"),
            "issued_at": body.get("issued_at"), "total": body.get("total"), "lines": lines,
            "receipt": receipt}


async def _by_fiscal(conn: Any, fn: str, fd: int) -> str | None:
    """The sale whose receipt the register ``fn`` numbered ``fd`` (as its QR names it),
    spelled as the migration's index ix_pos_chain_doc_fiscal, so the planner uses it."""
    row = (await conn.execute(sa.select(doc_t.c.doc_id).where(
        doc_t.c.kind == "sale",
        sa.text("(pos_chain_doc.body::jsonb)->>'fn' = :sale_fn AND "
                "(pos_chain_doc.body::jsonb)->>'fd' = :sale_fd").bindparams(
            sale_fn=str(fn), sale_fd=str(int(fd)))).limit(1))).first()
    return None if row is None else str(row.doc_id).removeprefix("sale:")


def _wanted(lines: Sequence[Any]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for item in lines:
        try:
            n, q = int(item[0]), _qty(item[1])
        except (TypeError, ValueError, IndexError, InvalidOperation):
            raise Refused("bad_request", why=f"line {item!r}") from None
        if q <= 0:
            raise Refused("bad_quantity", line=n + 1)
        out[n] = out.get(n, Decimal(0)) + q
    if not out:
        raise Refused("bad_request", why="no lines")
    return out


async def reserve(conn: Any, *, key: str, check_id: str, store: str,
                  lines: Sequence[Any], now: datetime | None = None) -> dict[str, Any]:
    """Claim ``lines`` ((line_no, qty), 0-based) of sale ``check_id`` for return ``key`` in
    the caller's transaction. The same key again with the same lines: the same answer."""
    now = now or _now()
    wanted = _wanted(lines)
    await _lock(conn, check_id)
    had = (await conn.execute(sa.select(claim_t.c.status).where(claim_t.c.key == key))
           ).scalar_one_or_none()
    if had is not None:
        mine = {int(n): _qty(q) for n, q in (await conn.execute(
            sa.select(claim_line_t.c.line_no, claim_line_t.c.qty)
            .where(claim_line_t.c.key == key))).all()}
        if had == "released":
            raise Refused("released")
        if mine != wanted:
            raise Refused("other_lines")
        return {"key": key, "status": had}
    sold, back = await _sold(conn, check_id), await _returned(conn, check_id)
    if not sold:
        raise Refused("not_found")
    for n, q in sorted(wanted.items()):
        if n not in sold:
            raise Refused("no_line", line=n + 1)
        have, done = sold[n][0], back.get(n, Decimal(0))
        if done + q > have:
            raise Refused("too_much", line=n + 1, left=_show(have - done), sold=_show(have),
                          returned=_show(done))
    await _claim(conn, key=key, sale=check_id, store=store, status="reserved", lines=wanted,
                 now=now)
    return {"key": key, "status": "reserved"}


async def _claim(conn: Any, *, key: str, sale: str, store: str, status: str,
                 lines: Mapping[int, Decimal], now: datetime) -> None:
    await conn.execute(claim_t.insert().values(key=key, sale=sale, store=store, status=status,
                                               created_at=now, updated_at=now))
    if lines:
        await conn.execute(claim_line_t.insert(), [{"key": key, "line_no": n, "qty": q}
                                                   for n, q in sorted(lines.items())])


async def release(conn: Any, *, key: str, now: datetime | None = None) -> dict[str, Any]:
    """Give a reserved claim back (the refund was declined). An applied one stays."""
    res = await conn.execute(claim_t.update().where(
        claim_t.c.key == key, claim_t.c.status == "reserved").values(
        status="released", updated_at=now or _now()))
    status = (await conn.execute(sa.select(claim_t.c.status).where(claim_t.c.key == key))
              ).scalar_one_or_none()
    return {"key": key, "status": status or "unknown", "released": res.rowcount == 1}


async def record_returns(conn: Any, docs: Sequence[ChainDoc],
                         now: datetime | None = None) -> list[str]:
    """At ingest, in its transaction: each freshly applied return document claims what it
    gave back (a reserved claim becomes ``applied``; one the centre never saw is claimed
    now). Returns the keys that overdrew a line (``conflict``: money moved that should not
    have; a manager decides)."""
    now = now or _now()
    conflicts: list[str] = []
    for doc in docs:
        if doc.kind != "return":
            continue
        sale, given = return_lines(doc.body)
        key = str(doc.body.get("key") or doc.doc_id.removeprefix("return:"))
        if sale is None:
            proof = _proof(doc.body)
            if proof is not None and await _offline(conn, doc, key, proof, now):
                conflicts.append(key)
            continue  # else without a receipt: nothing to count against
        if not given:
            continue
        await _lock(conn, sale)
        res = await conn.execute(claim_t.update().where(
            claim_t.c.key == key, claim_t.c.status.in_(("reserved", "released"))).values(
            status="applied", updated_at=now))
        if res.rowcount == 1:
            continue
        if (await conn.execute(sa.select(claim_t.c.key).where(claim_t.c.key == key))
                ).first() is not None:
            continue  # applied before (a redelivery)
        wanted: dict[int, Decimal] = {}
        for n, q in given:
            wanted[int(n)] = wanted.get(int(n), Decimal(0)) + _qty(q)
        sold, back = await _sold(conn, sale), await _returned(conn, sale)
        over = [n for n, q in wanted.items()
                if sold and back.get(n, Decimal(0)) + q > sold.get(n, (Decimal(0), ""))[0]]
        status = "conflict" if over else "applied"
        await _claim(conn, key=key, sale=sale, store=doc.store, status=status, lines=wanted,
                     now=now)
        if over:
            log.warning("return %s in store %s overdraws sale %s (lines %s)", key, doc.store,
                        sale, ", ".join(str(n + 1) for n in over))
            conflicts.append(key)
    return conflicts


def _proof(body: Mapping[str, Any]) -> tuple[str, int, list[tuple[str, Decimal]]] | None:
    """An offline return's receipt QR (FN, FD) and its goods (item code, quantity)."""
    plan = body.get("plan")
    plan = json.loads(plan) if isinstance(plan, str) else plan or {}
    qr = plan.get("proof")
    if not qr:
        return None
    fields = dict(p.split("=", 1) for p in str(qr).split("&") if "=" in p)
    try:
        fn, fd = str(fields["fn"]), int(fields["i"])
    except (KeyError, ValueError):
        return None
    goods = [(str(g.get("item_code")), _qty(g.get("quantity", 0)))
             for g in plan.get("goods") or ()]
    return fn, fd, goods


async def _offline(conn: Any, doc: ChainDoc, key: str,
                   proof: tuple[str, int, list[tuple[str, Decimal]]], now: datetime) -> bool:
    """Claim an offline return's goods against the sale its QR names, line by line by item
    code; True when they do not fit (the sale unknown, an item not on it, more than is
    left): a conflict. A repeat (the key claimed) changes nothing."""
    if (await conn.execute(sa.select(claim_t.c.key).where(claim_t.c.key == key))
            ).first() is not None:
        return False
    fn, fd, goods = proof
    sale = await _by_fiscal(conn, fn, fd)
    if sale is None:
        await _claim(conn, key=key, sale=f"fn:{fn}:{fd}", store=doc.store, status="conflict",
                     lines={}, now=now)
        log.warning("offline return %s in store %s: no sale FN %s FD %d", key, doc.store,
                    fn, fd)
        return True
    await _lock(conn, sale)
    sold, back = await _sold(conn, sale), await _returned(conn, sale)
    left = {n: q - back.get(n, Decimal(0)) for n, (q, _c) in sold.items()}
    wanted: dict[int, Decimal] = {}
    fits = True
    for code, q in goods:
        for n, (_q, item) in sorted(sold.items()):
            room = left[n] - wanted.get(n, Decimal(0))
            if item == code and room > 0:
                take = min(room, q)
                wanted[n] = wanted.get(n, Decimal(0)) + take
                q -= take
            if q <= 0:
                break
        if q > 0:
            fits = False
    await _claim(conn, key=key, sale=sale, store=doc.store,
                 status="applied" if fits else "conflict", lines=wanted, now=now)
    if not fits:
        log.warning("offline return %s in store %s does not fit sale %s", key, doc.store,
                    sale)
    return not fits


async def conflicts(conn: Any) -> list[dict[str, Any]]:
    """The returns that overdrew their sale, newest first (the manager's list)."""
    rows = (await conn.execute(sa.select(claim_t).where(claim_t.c.status == "conflict")
                               .order_by(claim_t.c.updated_at.desc()))).all()
    return [dict(r._mapping) for r in rows]


async def conflict_events(conn: Any, told: set[str]) -> list[Event]:
    """A ``pos_return_conflict`` event (the returning store's, danger) for each conflict not
    in ``told`` (which it then holds); the event log drops a repeat by its source key."""
    from kassa_pos.kinds import Kind

    out = []
    for cf in await conflicts(conn):
        if cf["key"] in told:
            continue
        told.add(cf["key"])
        out.append(Event.of(site=cf["store"], kind=Kind.RETURN_CONFLICT,
                            source_key=f"xreturn:{cf['key']}:conflict",
                            occurred_at=cf["updated_at"], order=cf["sale"],
                            reason="вернули больше, чем продано", data={"return": cf["key"]}))
    return out


# -- the wire ------------------------------------------------------------------------------

async def answer(engine: Any, op: str, request: Mapping[str, Any]) -> dict[str, Any]:
    """One request, in its own transaction; a refusal is ``{"error": code, **params}``."""
    try:
        async with engine.begin() as conn:
            if op == "find":
                fd = request.get("fd")
                return await find(conn, check_id=request.get("check_id"),
                                  fn=request.get("fn"), fd=int(fd) if fd is not None else None)
            if op == "reserve":
                return await reserve(conn, key=str(request["key"]),
                                     check_id=str(request["check_id"]),
                                     store=str(request["store"]), lines=request["lines"])
            if op == "release":
                return await release(conn, key=str(request["key"]))
            raise Refused("bad_request", why=f"operation {op!r}")
    except Refused as r:
        return {"error": r.code, **r.params}
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": "bad_request", "why": f"{type(exc).__name__}: {exc}"}


async def serve(nc: Any, engine: Any) -> Any:
    """Answer ``pos.xreturn.*`` on the centre's NATS connection; returns the subscription
    (``unsubscribe()`` to stop). Several centre processes share the queue group."""
    async def handle(msg: Any) -> None:
        op = msg.subject.rsplit(".", 1)[-1]
        try:
            request = json.loads(msg.data)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            reply: dict[str, Any] = {"error": "bad_request", "why": f"JSON: {exc}"}
        else:
            reply = await answer(engine, op, request)
        await msg.respond(json.dumps(reply, ensure_ascii=False, default=str).encode())

    return await nc.subscribe(f"{SUBJECT}.*", queue=QUEUE, cb=handle)


class Client:
    """The store's side: ask the centre over the store's NATS (the leaf carries it up)."""

    def __init__(self, nc: Any, *, store: str, timeout: float = 3.0) -> None:
        self.nc, self.store, self.timeout = nc, store, timeout

    async def _ask(self, op: str, request: Mapping[str, Any]) -> dict[str, Any]:
        import nats.errors

        try:
            msg = await self.nc.request(f"{SUBJECT}.{op}",
                                        json.dumps(request, default=str).encode(),
                                        timeout=self.timeout)
        except nats.errors.NoRespondersError:
            raise Offline("no responders") from None
        except (TimeoutError, nats.errors.TimeoutError):
            raise Offline(f"no answer in {self.timeout:g} s") from None
        except nats.errors.ConnectionClosedError:
            raise Offline("the store's NATS connection is closed") from None
        reply = json.loads(msg.data)
        if "error" in reply:
            code = str(reply.pop("error"))
            raise Refused(code, **reply)
        return dict(reply)

    async def find(self, *, check_id: str | None = None, fn: str | None = None,
                   fd: int | None = None) -> dict[str, Any]:
        return await self._ask("find", {"check_id": check_id, "fn": fn, "fd": fd})

    async def reserve(self, key: str, check_id: str,
                      lines: Sequence[tuple[int, Decimal]]) -> dict[str, Any]:
        return await self._ask("reserve", {"key": key, "check_id": check_id,
                                           "store": self.store,
                                           "lines": [[n, str(q)] for n, q in lines]})

    async def release(self, key: str) -> dict[str, Any]:
        return await self._ask("release", {"key": key})


async def _quiet(_exc: Exception) -> None:
    """nats-py's error callback: the reason reaches the cashier as ``Offline``, once."""


class Link:
    """The till's way to the centre: one NATS connection to the store's leaf node, made on
    first use and again after it is lost; no connection is ``Offline``."""

    def __init__(self, url: str, *, store: str, timeout: float = 3.0) -> None:
        self.url, self.store, self.timeout = url, store, timeout
        self._nc: Any = None

    async def _client(self) -> Client:
        import nats

        if self._nc is None or self._nc.is_closed:
            try:
                # one try, bounded: a cashier waits on it; a lost connection closes, and
                # the next call connects anew
                # (nats-py: 0 attempts means "forever"; 1 gives up after a second try)
                with anyio.fail_after(self.timeout * 2):
                    self._nc = await nats.connect(self.url, connect_timeout=self.timeout,
                                                  max_reconnect_attempts=1,
                                                  reconnect_time_wait=0.1,
                                                  error_cb=_quiet)
            except Exception as exc:  # refused, unreachable, timed out: all "offline"
                self._nc = None
                raise Offline(f"cannot connect to {mask_url(self.url)}: {exc}") from None
        return Client(self._nc, store=self.store, timeout=self.timeout)

    async def find(self, *, check_id: str | None = None, fn: str | None = None,
                   fd: int | None = None) -> dict[str, Any]:
        return await (await self._client()).find(check_id=check_id, fn=fn, fd=fd)

    async def reserve(self, key: str, check_id: str,
                      lines: Sequence[tuple[int, Decimal]]) -> dict[str, Any]:
        return await (await self._client()).reserve(key, check_id, lines)

    async def release(self, key: str) -> dict[str, Any]:
        return await (await self._client()).release(key)

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = None
