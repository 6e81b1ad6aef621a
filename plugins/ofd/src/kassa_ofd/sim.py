"""An emulated OFD.ru (merchant API v1, ofd_video.md A.1/A.2/A.8) with a document intake.

What it enforces: ``CreateAuthToken`` with the account's login and password (a wrong pair:
401), tokens that expire (``ExpirationDateUtc``; expired or unknown: 403, as A.2 says of a bad
key), the ``{"Status", "Data" | "Errors"}`` envelope, the 30-day cap on a period, a rate
limit per token (1 request/s with a small burst, A.2; over it: 429 with ``Retry-After``),
data only for the account's INN (403 otherwise), and the FNS check of a QR (204 / 406).

Test side (``/_sim/...``): ``POST /_sim/documents`` takes an FFD "ticket" (fiscal.md §9) as a
register transmits it (any form code of §1.1 a register sends; receipts need 1020 and 1054); a
receipt is listed after ``delay`` seconds; ``outage`` makes every call 503.
Buyer copies (1008 = ``buyerAddress``) go to ``GET /_sim/outbox`` only when the account's
tariff says the OFD delivers them (``delivers_email`` / ``delivers_sms``, fiscal.md §1.6).
``POST /_sim/faults`` sets ``outage``, ``delay``, ``rate``, ``expire_tokens``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from attrs import define, field
from kassa.serving import AsgiServer, read_body
from kassa.serving import respond_json as respond

from kassa_ofd.sim_store import Stored, local_time, problem
from kassa_ofd.wire import STAMP

PERIOD_CAP = timedelta(days=30)
PERIOD_TEXT = "Период не должен превышать 30 дней"  # A.1 (the client author's comment)


def _failed(*errors: str) -> dict[str, Any]:
    return {"Status": "Failed", "Errors": list(errors)}


@define
class OfdSimulator:
    """``start()`` serves on ``host:port`` (0: a free one) and returns the ``[ofd]`` fragment.
    ``now`` (a callable) drives tokens, processing delay and the rate limit."""

    name: str = "ofd"
    host: str = "127.0.0.1"
    port: int = 0
    login: str = "kassa-ofd"
    password: str = "kassa-ofd-pass"
    inn: str = "7700000000"
    delivers_email: bool = False
    delivers_sms: bool = False
    token_life: timedelta = timedelta(hours=24)
    delay: float = 0.0  # seconds from intake to being listed
    outage: bool = False
    rate: float = 1.0  # requests per second per token (A.2, unverified)
    burst: int = 5
    now: Callable[[], datetime] = field(factory=lambda: lambda: datetime.now(UTC))
    docs: dict[tuple[str, int], Stored] = field(factory=dict)
    kkts: dict[str, dict[str, Any]] = field(factory=dict)  # by reg number
    tokens: dict[str, datetime] = field(factory=dict)
    outbox: list[dict[str, Any]] = field(factory=list)
    requests: list[tuple[str, str]] = field(factory=list)
    _buckets: dict[str, tuple[float, datetime]] = field(factory=dict)
    _server: AsgiServer | None = None

    async def start(self) -> Mapping[str, Any]:
        self._server = AsgiServer(self.app, self.host, self.port, graceful=True)
        await self._server.start()
        self.port = self._server.port
        return {"ofd": {"base_url": self.base_url, "login": self.login,
                        "password": self.password, "inn": self.inn, "fns_url": self.base_url,
                        "delivers_email": self.delivers_email,
                        "delivers_sms": self.delivers_sms}}

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoints(self) -> dict[str, str]:
        """What the demo publishes to the other simulators before any starts: the intake the
        emulated registers' FNs transmit to (their ``ofd_url``), once the port is fixed."""
        return {"ofd_url": self.base_url} if self.port else {}

    # --- intake (what a register's FN transmits) ---------------------------------------
    def take(self, ticket: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        why = problem(ticket, self.inn)
        if why:
            return 422, {"error": why}
        key = (str(ticket["fiscalDriveNumber"]), int(ticket["fiscalDocumentNumber"]))
        if key in self.docs:  # an FN resends until it has the confirmation: one document
            return 200, {"Id": self.docs[key].id, "duplicate": True}
        now = self.now()
        doc = Stored(ticket=ticket, received_at=now,
                     visible_at=now + timedelta(seconds=self.delay))
        self.docs[key] = doc
        rn = ticket["kktRegId"].strip()
        kkt = self.kkts.setdefault(rn, {"Id": str(doc.id), "KktRegId": rn,
                                        "KktName": f"Касса {len(self.kkts) + 1}",
                                        "SerialNumber": ticket.get("kktSerial", ""),
                                        "KktModel": ticket.get("kktModel", "")})
        kkt.update({"FnNumber": doc.fn, "LastDocOnKktDateTime": doc.issued.strftime(STAMP),
                    "LastDocOnOfdDateTimeUtc": now.astimezone(UTC).strftime(STAMP)})
        self._deliver(doc)
        return 200, {"Id": doc.id, "duplicate": False}

    def _deliver(self, doc: Stored) -> None:
        to = str(doc.ticket.get("buyerAddress") or "").strip()
        if not to or not doc.is_receipt:
            return
        channel = "email" if "@" in to else "sms"
        if (self.delivers_email if channel == "email" else self.delivers_sms):
            self.outbox.append({"channel": channel, "to": to, "fn": doc.fn,
                                "fd": doc.number, "fp": str(doc.ticket["fiscalSign"]),
                                "total": doc.ticket["totalSum"]})

    def visible(self) -> list[Stored]:
        """The receipts the merchant API lists by now (shift reports are stored, not listed:
        A.1's receipt calls are for receipts; ``zreports`` is not emulated)."""
        now = self.now()
        return [d for d in self.docs.values() if d.visible_at <= now and d.is_receipt]

    # --- HTTP ---------------------------------------------------------------------------
    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        body = await read_body(receive)
        if path.startswith("/_sim/"):
            await self._sim_route(send, method, path, body)
            return
        self.requests.append((method, path))
        if self.outage:
            await respond(send, 503, _failed("Service Unavailable"))
            return
        status, data, headers = self._api(method, path, query, body)
        await respond(send, status, data, headers)

    async def _sim_route(self, send: Any, method: str, path: str, body: bytes) -> None:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            await respond(send, 400, {"error": "not JSON"})
            return
        if (method, path) == ("POST", "/_sim/documents"):
            if self.outage:
                await respond(send, 503, {"error": "the OFD is down"})
                return
            await respond(send, *self.take(data))
        elif (method, path) == ("GET", "/_sim/outbox"):
            await respond(send, 200, self.outbox)
        elif (method, path) == ("GET", "/_sim/state"):
            await respond(send, 200, {"documents": [d.list_item() for d in self.docs.values()
                                                    if d.is_receipt],
                                      "other_documents": [d.summary() for d in self.docs.values()
                                                          if not d.is_receipt],
                                      "kkts": list(self.kkts.values())})
        elif (method, path) == ("POST", "/_sim/faults") and isinstance(data, dict):
            self.outage = bool(data.get("outage", self.outage))
            self.delay = float(data.get("delay", self.delay))
            self.rate = float(data.get("rate", self.rate))
            if data.get("expire_tokens"):
                self.tokens = {t: self.now() for t in self.tokens}
            await respond(send, 200, {"outage": self.outage, "delay": self.delay})
        else:
            await respond(send, 404, {"error": f"no {method} {path}"})

    def _api(self, method: str, path: str, query: dict[str, str], body: bytes
             ) -> tuple[int, Any, dict[str, str] | None]:
        if (method, path) == ("POST", "/api/Authorization/CreateAuthToken"):
            return self._login(body)
        if path.startswith("/v1/ofds/") and method == "GET":
            return self._fns_check(path, query), None, None
        parts = path.strip("/").split("/")
        if method != "GET" or parts[:4] != ["api", "integration", "v1", "inn"] or len(parts) < 6:
            return 404, _failed(f"Unknown method {method} {path}"), None
        token = query.get("AuthToken", "")
        expires = self.tokens.get(token)
        if expires is None or expires <= self.now():
            return 403, _failed("AuthToken is invalid or expired"), None
        wait = self._limited(token)
        if wait:
            return 429, _failed("Too many requests"), {"Retry-After": f"{wait:.0f}"}
        if parts[4] != self.inn:
            return 403, _failed(f"No access to INN {parts[4]}"), None
        rest = parts[5:]
        if rest == ["kkts"]:
            return 200, {"Status": "Success", "Data": self._kkts(query)}, None
        if len(rest) >= 3 and rest[0] == "kkt":
            if rest[1] not in self.kkts:
                return 404, _failed(f"KKT {rest[1]} not found"), None
            if rest[2:] == ["receipts"]:
                return self._receipts(rest[1], query)
            if len(rest) == 4 and rest[2] == "receipt":
                found = [d for d in self.visible() if d.id == rest[3]]
                if not found:
                    return 404, _failed(f"Document {rest[3]} not found"), None
                return 200, {"Status": "Success", "Data": found[0].document()}, None
        return 404, _failed(f"Unknown method {method} {path}"), None

    def _login(self, body: bytes) -> tuple[int, Any, None]:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = None
        if not isinstance(data, dict) or not {"Login", "Password"} <= data.keys():
            return 400, _failed("Login and Password are required"), None
        if (data["Login"], data["Password"]) != (self.login, self.password):
            return 401, _failed("Неверный логин или пароль"), None
        token = secrets.token_hex(16)
        expires = self.now() + self.token_life
        self.tokens[token] = expires
        return 200, {"AuthToken": token,
                     "ExpirationDateUtc": expires.astimezone(UTC).strftime(STAMP)}, None

    def _limited(self, token: str) -> float:
        """A token bucket per token; the seconds to wait, 0 if the call may go."""
        now = self.now()
        level, at = self._buckets.get(token, (float(self.burst), now))
        level = min(float(self.burst), level + (now - at).total_seconds() * self.rate)
        if level < 1:
            self._buckets[token] = (level, now)
            return max(1.0, (1 - level) / self.rate)
        self._buckets[token] = (level - 1, now)
        return 0.0

    def _kkts(self, query: dict[str, str]) -> list[dict[str, Any]]:
        filters = {"FNSerialNumber": "FnNumber", "KKTSerialNumber": "SerialNumber",
                   "KKTRegNumber": "KktRegId"}
        return [k for k in self.kkts.values()
                if all(k.get(f) == query[q] for q, f in filters.items() if query.get(q))]

    def _receipts(self, rn: str, query: dict[str, str]) -> tuple[int, Any, None]:
        try:
            start = datetime.strptime(query["dateFrom"], STAMP)
            end = datetime.strptime(query["dateTo"], STAMP)
        except (KeyError, ValueError):
            return 400, _failed("dateFrom and dateTo are required: yyyy-MM-ddTHH:mm:ss"), None
        if end - start > PERIOD_CAP:
            return 400, _failed(PERIOD_TEXT), None
        if end < start:
            return 400, _failed("dateFrom is after dateTo"), None
        items = [d.list_item() for d in self.visible()
                 if d.ticket["kktRegId"].strip() == rn and start <= d.issued <= end]
        return 200, {"Status": "Success", "Data": items}, None

    def _fns_check(self, path: str, query: dict[str, str]) -> int:
        """``/v1/ofds/*/inns/*/fss/{fn}/operations/{n}/tickets/{fd}`` (fiscal.md §9)."""
        parts = path.strip("/").split("/")  # v1 ofds * inns * fss {fn} operations {n} tickets {fd}
        if (len(parts) != 11 or parts[3] != "inns" or parts[5] != "fss"
                or parts[7] != "operations" or parts[9] != "tickets"):
            return 404
        fn, op, fd = parts[6], parts[8], parts[10]
        doc = self.docs.get((fn, int(fd))) if fd.isdigit() else None
        if doc is None or not doc.is_receipt or not op.isdigit():
            return 406
        t = doc.ticket
        try:
            when = datetime.strptime(query.get("date", ""), STAMP)
        except ValueError:
            return 400
        ok = (int(op) == t["operationType"] and query.get("sum") == str(t["totalSum"])
              and query.get("fiscalSign") == str(t["fiscalSign"])
              and when.replace(second=0) == local_time(t).replace(second=0))
        return 204 if ok else 406
