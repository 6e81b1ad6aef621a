"""The Web Server's HTTP side (fiscal.md §2.2, §12): requests are stored at once and run in
order by one worker after ``delay`` seconds (the register does one thing at a time); a GET
shows each task ``wait`` -> ``inProgress`` -> ``ready`` | ``error``; the tasks after a failed
one are ``interrupted`` (driver error 502). A uuid already stored is 409 and never runs
again; an unknown uuid is 404. ``/_sim/*`` is the test's control endpoint (not ATOL's)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import anyio

from kassa_atol.codes import DriverError as E
from kassa_atol.codes import text
from kassa_atol.sim.checks import Refusal
from kassa_atol.sim.kkt import Faults, Kkt
from kassa_atol.sim.ofd import OfdLink


class WebServer:
    """An ASGI app: ``POST/GET /api/v2/requests``, plus ``/_sim/state|faults|clock``."""

    def __init__(self, kkt: Kkt, *, delay: float = 0.0, login: str = "",
                 password: str = "") -> None:
        self.kkt = kkt
        self.delay = delay
        self.auth = (b"Basic " + base64.b64encode(f"{login}:{password}".encode())
                     if login else None)
        self.requests: dict[str, list[dict[str, Any]]] = {}
        self.received = 0  # POSTs stored (a test waits on this before killing a client)
        self.errors: list[str] = []  # why each refused task was refused (/_sim/state)
        self._queue: list[tuple[str, list[Any]]] = []
        self._current: tuple[str, list[Any]] | None = None  # popped, not finished
        self.save: Callable[[], None] | None = None  # the state file, when there is one
        self._wake = anyio.Event()
        self.offset = timedelta(0)  # /_sim/clock advance
        self.link: OfdLink | None = None  # the FN's OFD exchange, when one is configured

    # --- the worker: one register, one task at a time --------------------------------------
    async def run(self) -> None:
        while True:
            while not self._queue:
                await self._wake.wait()
                self._wake = anyio.Event()
            uuid, tasks = self._current = self._queue.pop(0)
            results = self.requests[uuid]
            if self.delay:
                await anyio.sleep(self.delay)
            failed = False
            for i, task in enumerate(tasks):
                if failed:
                    results[i] = _result("interrupted", E.INTERRUPTED_BY_PREVIOUS_ERRORS)
                    continue
                results[i] = {"status": "inProgress", "errorCode": 0,
                              "errorDescription": text(0), "result": None}
                try:
                    out = self.kkt.execute(task)
                except Refusal as exc:  # the driver's text only; the detail is for the tester
                    results[i] = _result("error", exc.code)
                    self.errors.append(f"{uuid}[{i}]: {exc.description}")
                    failed = True
                else:
                    results[i] = {"status": "ready", "errorCode": 0,
                                  "errorDescription": text(0), "result": out}
            self._current = None
            self._saved()

    def _saved(self) -> None:
        if self.save is not None:
            self.save()

    def pending(self) -> list[tuple[str, list[Any]]]:
        """Requests stored and not finished, in the order they run (the state file's)."""
        return ([self._current] if self._current else []) + list(self._queue)

    def requeue(self, uuid: str, tasks: list[Any]) -> None:
        """A request stored before a restart and not run: it runs now, from the start."""
        self.requests[uuid] = [_result("wait", 0) for _ in tasks]
        self._queue.append((uuid, tasks))
        self._wake.set()

    def _enqueue(self, uuid: str, tasks: list[Any]) -> None:
        self.requeue(uuid, tasks)
        self.received += 1
        self._saved()  # on disk before the 201

    # --- HTTP ------------------------------------------------------------------------------
    async def __call__(self, scope: Mapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"].rstrip("/")
        body = await _body(receive)
        if path.startswith("/_sim"):
            await self.control(send, method, path, body)
            return
        headers = dict(scope.get("headers") or [])
        if self.auth is not None and headers.get(b"authorization") != self.auth:
            await _send(send, 401, {"error": {"code": 401, "description": "Unauthorized"}})
            return
        if path == "/api/v2/requests" and method == "POST":
            await self.post(send, body)
        elif path.startswith("/api/v2/requests/") and method == "GET":
            await self.get(send, path.rsplit("/", 1)[1])
        else:
            await _send(send, 404, {"error": {"code": 404, "description": "Not found"}})

    async def post(self, send: Any, body: bytes) -> None:
        try:
            req = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            await _send(send, 400, {"error": {"code": E.RECEIPT_PARSE_ERROR,
                                              "description": text(E.RECEIPT_PARSE_ERROR)}})
            return
        uuid = req.get("uuid") if isinstance(req, dict) else None
        tasks = req.get("request") if isinstance(req, dict) else None
        if isinstance(tasks, dict):
            tasks = [tasks]  # one task may come without the array
        if not isinstance(uuid, str) or not uuid or not isinstance(tasks, list) or not tasks:
            await _send(send, 400, {"error": {"code": E.NO_REQUIRED_PARAM,
                                              "description": text(E.NO_REQUIRED_PARAM)
                                              + " (uuid, request)"}})
            return
        if uuid in self.requests:
            await _send(send, 409, {"error": {"code": 409, "description":
                                              f"request {uuid} already exists"}})
            return
        self._enqueue(uuid, tasks)
        await _send(send, 201, {"uuid": uuid})

    async def get(self, send: Any, uuid: str) -> None:
        results = self.requests.get(uuid)
        if results is None:
            await _send(send, 404, {"error": {"code": 404,
                                              "description": f"request {uuid} not found"}})
            return
        final = all(r["status"] not in ("wait", "inProgress") for r in results)
        if final and self.kkt.faults.drop_answers > 0:
            self.kkt.faults.drop_answers -= 1
            await _drop(send)  # the register did it; the answer never arrives whole
            return
        await _send(send, 200, {"results": results})

    async def control(self, send: Any, method: str, path: str, body: bytes) -> None:
        k = self.kkt
        if method == "POST" and path == "/_sim/faults":
            try:
                changes = json.loads(body or b"{}")
                for name, value in changes.items():
                    if name not in _FAULTS:
                        raise KeyError(name)
                    setattr(k.faults, name, type(getattr(k.faults, name))(value))
            except (ValueError, KeyError, AttributeError) as exc:
                await _send(send, 400, {"error": f"bad fault: {exc}"})
                return
        elif method == "POST" and path == "/_sim/clock":
            try:
                self.offset += timedelta(seconds=float(json.loads(body)["advance"]))
                self._saved()
            except (ValueError, KeyError, TypeError) as exc:
                await _send(send, 400, {"error": f"expected {{\"advance\": seconds}}: {exc}"})
                return
        elif not (method == "GET" and path == "/_sim/state"):
            await _send(send, 404, {"error": "control: /_sim/state, /_sim/faults, /_sim/clock"})
            return
        await _send(send, 200, self.state())

    def state(self) -> dict[str, Any]:
        k = self.kkt
        return {"fd": k.fd, "shift": k.shift, "shift_open": k.shift_open,
                "receipt_number": k.receipt_number, "cash": float(k.cash),
                "receipts": len(k.receipts()), "fiscal_documents": len(k.fiscal_documents()),
                "unsent": len(k.unsent), "requests": len(self.requests),
                "ofd": {"url": self.link.url if self.link else None,
                        "sent": self.link.sent if self.link else None,
                        "error": k.ofd_error},
                "errors": self.errors[-20:],
                "faults": {n: getattr(k.faults, n) for n in _FAULTS}}


_FAULTS = [a.name for a in Faults.__attrs_attrs__]


def _result(status: str, code: int, description: str | None = None) -> dict[str, Any]:
    return {"status": status, "errorCode": int(code),
            "errorDescription": description or text(code), "result": None}


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        event = await receive()
        chunks.append(event.get("body", b""))
        if event["type"] == "http.disconnect" or not event.get("more_body"):
            return b"".join(chunks)


async def _send(send: Any, status: int, payload: Any) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Any) -> None:
    """Promise a body and stop half-way: the client sees the connection break."""
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", b"4096")]})
    await send({"type": "http.response.body", "body": b'{"results": [', "more_body": False})
