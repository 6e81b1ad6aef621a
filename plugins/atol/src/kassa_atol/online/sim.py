"""A simulated ATOL Online v5 over HTTP (fiscal.md §2.4, §12 "ATOL Online emulator").

It keeps what the cloud keeps: accounts and tokens (24 h, then 401), groups with their
organisation's INN, documents by (group, external_id) - a repeat gets error 33 and the
first uuid -, processing after a delay (wait -> done | fail), one cloud KKT per group with
its FN, FD / shift / receipt counters and a deterministic fiscal sign, and a callback POST
when a document is done. Test switches: ``outage``, ``inject`` (429 / 5xx), ``hang``
(answer lost after the work), ``delay`` (slow answers), ``fail_next`` (a ``fail`` report).
``GET /_sim/state`` shows the documents and ``POST /_sim/faults`` sets the switches (for a
person at a shell)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import uuid as uuidlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from attrs import define, field
from kassa.serving import AsgiServer, read_body
from kassa.serving import respond_json as respond

from kassa_atol.online import codes
from kassa_atol.online.sim_rules import OPS, first_problem
from kassa_atol.online.wire import STAMP

log = logging.getLogger(__name__)

TOKEN_LIFE = timedelta(hours=24)
SHIFT_LIFE = timedelta(hours=24)
FN = "9999078900000961"  # fiscal.md §12: the ATOL test-output style
REG_NUMBER = "0000000001002292"
FNS_SITE = "www.nalog.gov.ru"
OFD_INN = "7704358518"  # an OFD's INN in the payload (any valid one)
SIGN_KEY = b"kassa-atol-online-sim"


@define
class Doc:
    uuid: str
    group: str
    op: str
    external_id: str
    body: dict[str, Any]
    ready_at: datetime
    callback_url: str = ""
    status: str = "wait"
    payload: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    fail_with: tuple[int, str] | None = None


@define
class Kkt:
    """The group's cloud register: counters of its FN."""

    fd: int = 0
    shift: int = 0
    shift_opened: datetime | None = None
    receipts: int = 0


@define
class Fault:
    status: int
    count: int
    retry_after: float | None = None
    after_work: bool = False  # 5xx after the document was taken (the answer is lost)


@define
class AtolOnlineSimulator:
    """``start()`` serves on ``host:port`` (0: a free port) and returns the kassa.toml
    fragment of one account; ``clock`` (a ``now()``) drives tokens, shifts and processing."""

    name: str = "atol-online"
    host: str = "127.0.0.1"
    port: int = 0
    login: str = "kassa-test"
    password: str = "kassa-test-pass"
    groups: dict[str, str] = field(factory=lambda: {"kassa-group": "5001007329"})
    payment_address: str = "https://shop.example"
    clock: Any = None
    process_delay: float = 0.0  # seconds from wait to done|fail
    tz: str = "Europe/Moscow"
    outage: bool = False  # every call answers 503
    delay: float = 0.0  # seconds before any answer (the contract's slow probe)
    hang: int = 0  # the next N document POSTs are taken, then never answered
    hang_seconds: float = 30.0
    docs: dict[str, Doc] = field(factory=dict)  # by uuid
    by_external: dict[tuple[str, str], str] = field(factory=dict)
    tokens: dict[str, datetime] = field(factory=dict)
    kkts: dict[str, Kkt] = field(factory=dict)
    faults: list[Fault] = field(factory=list)
    requests: list[tuple[str, str]] = field(factory=list)  # (method, path) of API calls
    callbacks: list[dict[str, Any]] = field(factory=list)  # what was POSTed to callback_url
    _fail_next: list[tuple[int, str]] = field(factory=list)
    _server: AsgiServer | None = None
    _tasks: set[asyncio.Task[None]] = field(factory=set)
    _closing: asyncio.Event = field(factory=asyncio.Event)
    _ids: Any = field(factory=lambda: itertools.count(1))

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> Mapping[str, Any]:
        self._server = AsgiServer(self.app, self.host, self.port, graceful=True)
        await self._server.start()
        self.port = self._server.port
        group = next(iter(self.groups))
        return {"atol": {"online": [{
            "name": self.name, "base_url": self.base_url, "login": self.login,
            "password": self.password, "group_code": group, "inn": self.groups[group],
            "payment_address": self.payment_address, "company_email": "shop@example.ru",
            "sno": "osn"}]}}

    async def _pause(self, seconds: float) -> None:
        """Sleep, cut short by stop() (so no answer keeps a connection open past it)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def stop(self) -> None:
        self._closing.set()
        for task in list(self._tasks):
            task.cancel()
        if self._server is not None:
            await self._server.stop()
            self._server = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/possystem/v5/"

    # --- switches and probes -------------------------------------------------------------
    def inject(self, status: int, count: int = 1, *, retry_after: float | None = None,
               after_work: bool = False) -> None:
        self.faults.append(Fault(status, count, retry_after, after_work))

    def fail_next(self, code: int = codes.PROCESSING_FAILED, text: str = "") -> None:
        self._fail_next.append((code, text))

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def documents(self, status: str | None = None) -> list[Doc]:
        return [d for d in self.docs.values() if status is None or d.status == status]

    def effects(self) -> int:
        """Fiscal documents made (done), what a test counts."""
        return len(self.documents("done"))

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    # --- HTTP ----------------------------------------------------------------------------
    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = await read_body(receive)
        method, path = scope["method"], scope["path"]
        self._tick()
        if path.startswith("/_sim/"):  # the control API: no faults, no outage
            status, data = self._control(method, path, raw)
            await respond(send, status, data)
            return
        self.requests.append((method, path))
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        if self.delay:
            await self._pause(self.delay)
        if self.outage:
            await respond(send, 503, {"error": "service unavailable"})
            return
        fault = self._fault()
        if fault is not None and not fault.after_work:
            extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after else None
            await respond(send, fault.status, {"error": f"HTTP {fault.status}"}, extra)
            return
        status, data = self._route(method, path, raw, headers)
        if fault is not None:  # the work is done; the answer is a 5xx instead
            status, data = fault.status, {"error": f"HTTP {fault.status}"}
        elif (self.hang and method == "POST" and not path.endswith("/getToken")
              and data.get("uuid")):
            self.hang -= 1
            await self._pause(self.hang_seconds)  # the client times out: answer lost
        await respond(send, status, data)

    def _fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        fault.count -= 1
        if fault.count <= 0:
            self.faults.pop(0)
        return fault

    def _route(self, method: str, path: str, raw: bytes,
               headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        prefix = "/possystem/v5/"
        if not path.startswith(prefix):
            return 404, {"error": codes.error(codes.BAD_REQUEST, "неизвестный путь")}
        rest = path[len(prefix):].strip("/").split("/")
        body: Any = None
        if method == "POST":
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return 400, self._err(codes.BAD_REQUEST, "тело запроса не JSON")
        if rest == ["getToken"] and method == "POST":
            return self._get_token(body)
        if len(rest) < 2:
            return 404, self._err(codes.BAD_REQUEST, "неизвестный путь")
        group = rest[0]
        if not self._token_ok(headers.get("token", "")):
            return 401, self._err(codes.TOKEN_EXPIRED)
        if group not in self.groups:
            return 400, self._err(codes.UNKNOWN_GROUP, group)
        if method == "GET" and len(rest) == 3 and rest[1] == "report":
            return self._report(group, rest[2])
        if method == "POST" and len(rest) == 2 and rest[1] in OPS:
            return self._take(group, rest[1], body)
        return 404, self._err(codes.BAD_REQUEST, f"неизвестная операция {'/'.join(rest[1:])}")

    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path == "/_sim/state":
            return 200, self.state()
        if method == "POST" and path == "/_sim/faults":
            return self._faults(raw)
        return 404, {"error": f"no {method} {path}"}

    def _faults(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        """The switches from a shell: ``{"outage": true}``, ``{"inject": {"status": 429,
        "count": 2, "retry_after": 1}}``, ``{"fail_next": 1}``, ``{"hang": 1}``,
        ``{"expire_tokens": true}``."""
        try:
            req = json.loads(raw or b"{}")
            if "outage" in req:
                self.outage = bool(req["outage"])
            if "inject" in req:
                i = req["inject"]
                self.inject(int(i["status"]), int(i.get("count", 1)),
                            retry_after=i.get("retry_after"),
                            after_work=bool(i.get("after_work", False)))
            if "fail_next" in req:
                self.fail_next(int(req["fail_next"]), str(req.get("text", "")))
            if "hang" in req:
                self.hang = int(req["hang"])
            if req.get("expire_tokens"):
                self.expire_tokens()
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return 400, {"error": f"faults: {exc!r}"}
        return 200, {"outage": self.outage, "faults": len(self.faults), "hang": self.hang}

    def _stamp(self) -> str:
        return self._now().astimezone(ZoneInfo(self.tz)).strftime(STAMP)

    def _err(self, code: int, detail: str = "") -> dict[str, Any]:
        return {"error": codes.error(code, detail, str(uuidlib.uuid4())),
                "timestamp": self._stamp()}

    def _get_token(self, body: Any) -> tuple[int, dict[str, Any]]:
        ok = (isinstance(body, dict) and body.get("login") == self.login
              and hmac.compare_digest(str(body.get("pass", "")).encode(),
                                      self.password.encode()))
        if not ok:
            return 401, {"token": None, **self._err(codes.BAD_CREDENTIALS)}
        token = hashlib.sha512(f"{self.login}:{next(self._ids)}".encode()).hexdigest()
        self.tokens[token] = self._now()  # 128 hex characters, as ATOL's
        return 200, {"error": None, "token": token, "timestamp": self._stamp()}

    def _token_ok(self, token: str) -> bool:
        issued = self.tokens.get(token)
        return issued is not None and self._now() - issued < TOKEN_LIFE

    def _take(self, group: str, op: str, body: Any) -> tuple[int, dict[str, Any]]:
        problem = first_problem(op, body, self.groups[group])
        if problem is not None:
            where, why = problem
            return 400, self._err(codes.VALIDATION, f"поле {where}: {why}")
        key = (group, body["external_id"])
        if key in self.by_external:
            known = self.docs[self.by_external[key]]
            return 200, {"uuid": known.uuid, "status": known.status,
                         **self._err(codes.DUPLICATE, known.external_id)}
        doc = Doc(uuid=str(uuidlib.uuid4()), group=group, op=op,
                  external_id=body["external_id"], body=body,
                  ready_at=self._now() + timedelta(seconds=self.process_delay),
                  callback_url=(body.get("service") or {}).get("callback_url") or "",
                  fail_with=self._fail_next.pop(0) if self._fail_next else None)
        self.docs[doc.uuid], self.by_external[key] = doc, doc.uuid
        if doc.callback_url:
            task = asyncio.get_running_loop().create_task(self._callback(doc))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return 200, {"uuid": doc.uuid, "status": "wait", "error": None,
                     "timestamp": self._stamp()}

    def _report(self, group: str, uuid: str) -> tuple[int, dict[str, Any]]:
        doc = self.docs.get(uuid)
        if doc is None or doc.group != group:
            return 404, self._err(codes.UNKNOWN_UUID, uuid)
        self._process(doc)
        return 200, self.report(doc)

    def report(self, doc: Doc) -> dict[str, Any]:
        return {"uuid": doc.uuid, "status": doc.status, "error": doc.error,
                "payload": doc.payload, "timestamp": self._stamp(), "group_code": doc.group,
                "daemon_code": "prod-sim", "device_code": "KKT000001",
                "external_id": doc.external_id, "callback_url": doc.callback_url}

    # --- the cloud KKT -------------------------------------------------------------------
    def _tick(self) -> None:
        """Make every document whose delay is over, in the order they were taken (the cloud
        works on its own; FD numbers follow acceptance, not who polls first)."""
        for doc in list(self.docs.values()):
            self._process(doc)

    def _process(self, doc: Doc) -> None:
        now = self._now()
        if doc.status != "wait" or now < doc.ready_at:
            return
        if doc.fail_with is not None:
            code, text = doc.fail_with
            doc.status, doc.error = "fail", codes.error(code, text, str(uuidlib.uuid4()))
            return
        kkt = self.kkts.setdefault(doc.group, Kkt())
        if kkt.shift_opened is None or now - kkt.shift_opened >= SHIFT_LIFE:
            # the cloud runs shifts itself: close the old one (Z, an FD), open a new one
            if kkt.shift_opened is not None:
                kkt.fd += 1
            kkt.fd += 1
            kkt.shift, kkt.shift_opened, kkt.receipts = kkt.shift + 1, now, 0
        kkt.fd += 1
        kkt.receipts += 1
        part = doc.body.get("receipt") or doc.body.get("correction") or {}
        total = part.get("total")
        at = now.astimezone(ZoneInfo(self.tz)).strftime(STAMP)
        doc.status, doc.payload = "done", {
            "total": total, "fns_site": FNS_SITE, "fn_number": FN,
            "shift_number": kkt.shift, "receipt_datetime": at,
            "fiscal_receipt_number": kkt.receipts, "fiscal_document_number": kkt.fd,
            "ecr_registration_number": REG_NUMBER,
            "fiscal_document_attribute": fiscal_sign(FN, kkt.fd, total, at),
            "ofd_inn": OFD_INN,
            "ofd_receipt_url": f"https://check.ofd.example/rec/{FN}/{kkt.fd}"}

    async def _callback(self, doc: Doc) -> None:
        await asyncio.sleep(max(0.0, (doc.ready_at - self._now()).total_seconds()))
        self._process(doc)
        if doc.status == "wait":
            return
        body = self.report(doc)
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                await http.post(doc.callback_url, json=body)
            self.callbacks.append(body)
        except httpx.HTTPError as exc:
            log.info("ATOL Online simulator: callback to %s failed: %r", doc.callback_url, exc)

    def state(self) -> dict[str, Any]:
        return {"documents": [{"uuid": d.uuid, "group": d.group, "op": d.op,
                               "external_id": d.external_id, "status": d.status,
                               "payload": d.payload, "error": d.error}
                              for d in self.docs.values()],
                "kkts": {g: {"fd": k.fd, "shift": k.shift, "receipts": k.receipts}
                         for g, k in self.kkts.items()}}


def fiscal_sign(fn: str, fd: int, total: Any, at: str) -> int:
    """The 10-digit ФПД: an HMAC of the document, so runs are reproducible."""
    digest = hmac.new(SIGN_KEY, f"{fn}|{fd}|{total}|{at}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % 9_000_000_000 + 1_000_000_000
