"""A simulated Lime ("Jade") API over HTTP: the OAuth token endpoint (password and refresh
grants, expiring tokens, 401 on a stale one), the CashdeskServer calls, an outage switch,
and two read-outs Lime's back office has (a card's history, "Детальный по продажам").

``LimeSimulator(port=...)`` is a ``kassa.hookspecs.app.Simulator``: ``start()`` serves on
127.0.0.1 and returns the ``[lime]`` fragment pointing a hub at it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from kassa_lime.sim_model import LimeModel, SimRefusal, SimRight

USERNAME, PASSWORD = "kassa", "lime-sim"
DEMO_RANGE = (7799000, 7799049)  # the demo's Lime cards (uids are these numbers)
# Lime good types for the menu groups of the demo's r_keeper restaurants (its CategPath,
# which INPBUF sends as ``categ_id``): the demo maps them by category, not by dish code
DEMO_CATEGORIES = ((60, "Роллы"), (61, "Запеченные роллы"), (62, "Суши"), (63, "Супы"),
                   (64, "Горячее"), (65, "Закуски"), (66, "Напитки"), (67, "Десерты"))


class LimeApp:
    """The ASGI app. ``outage`` makes every call answer 503 (Lime down for maintenance),
    ``down`` only the calls it names (e.g. ``{"PutCheck"}``: Lime going down mid-check);
    ``drop``: the next N PutChecks are applied and their answers lost (502); ``stall``: the
    calls it names wait (counted in ``stalled``) until taken out of it, then go on as usual
    (a request in flight when its client dies: Lime still applies it)."""

    def __init__(self, model: LimeModel, *, token_ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.model, self.token_ttl, self.clock, self.now = model, token_ttl, clock, now
        self.users = {USERNAME: PASSWORD}
        self.access: dict[str, float] = {}
        self.refresh: dict[str, str] = {}
        self.outage = False
        self.down: set[str] = set()
        self.stall: set[str] = set()
        self.stalled = 0
        self.drop = 0
        self.token_grants = 0

    def expire_tokens(self) -> None:
        """Every access token stops working (refresh tokens still do)."""
        self.access.clear()

    # --- ASGI -----------------------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            event = await receive()
            chunks.append(event.get("body", b""))
            if event["type"] == "http.disconnect" or not event.get("more_body"):
                break
        body = b"".join(chunks)
        name = scope["path"].rsplit("/", 1)[-1]
        if name in self.stall:
            self.stalled += 1
            while name in self.stall:  # noqa: ASYNC110 (a test switch, set from outside)
                await asyncio.sleep(0.02)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        status, answer, extra = self.handle(scope["method"], scope["path"], headers, query, body)
        data = json.dumps(answer, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"content-length", str(len(data)).encode()), *extra]})
        await send({"type": "http.response.body", "body": data})

    def handle(self, method: str, path: str, headers: Mapping[str, str],
               query: Mapping[str, str], body: bytes) -> tuple[int, Any, list[Any]]:
        if self.outage or path.rsplit("/", 1)[-1] in self.down:
            return 503, {"error": "unavailable", "message": "Сервис временно недоступен"}, []
        if path == "/connect/token":
            return self.token(method, body)
        if not path.startswith("/api/"):
            return 404, {"error": "not_found", "message": "Not Found"}, []
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if self.access.get(token, 0.0) <= self.clock():
            self.access.pop(token, None)
            return 401, {}, [(b"www-authenticate",
                              b'Bearer error="invalid_token", '
                              b'error_description="The token expired"')]
        try:
            answer = self.api(method, path, query, body)
        except SimRefusal as exc:
            return exc.status, exc.body(), []
        if answer is _DROP:  # applied, then the answer is lost (a proxy gives up on it)
            return 502, {"error": "bad_gateway", "message": "upstream answer lost"}, []
        return 200, answer, []

    def token(self, method: str, body: bytes) -> tuple[int, Any, list[Any]]:
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if method != "POST":
            return 405, {"error": "invalid_request"}, []
        if form.get("client_id") != "Jade.Api":
            return 400, {"error": "invalid_client"}, []
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if self.users.get(user) != form.get("password") or not user:
                return 400, {"error": "invalid_grant",
                             "error_description": "invalid_username_or_password"}, []
        elif grant == "refresh_token":
            user = self.refresh.pop(form.get("refresh_token", ""), "")  # one use each
            if not user:
                return 400, {"error": "invalid_grant"}, []
        else:
            return 400, {"error": "unsupported_grant_type"}, []
        self.token_grants += 1
        access, refresh = secrets.token_hex(16), secrets.token_hex(16)
        self.access[access] = self.clock() + self.token_ttl
        self.refresh[refresh] = user
        return 200, {"access_token": access, "expires_in": int(self.token_ttl),
                     "token_type": "Bearer", "refresh_token": refresh,
                     "scope": "Jade.Api offline_access"}, []

    def api(self, method: str, path: str, q: Mapping[str, str], body: bytes) -> Any:
        m = self.model
        name = path.removeprefix("/api/CashdeskServer/")
        try:
            if (method, name) == ("GET", "GetCardInfo"):
                card = q.get("cardId")
                return m.card_info(int(q.get("installationId", 0)), q.get("uid"),
                                   int(card) if card else None)
            if (method, name) == ("GET", "GetShift"):
                return m.shift(int(q["cashdeskId"]))
            if (method, name) == ("POST", "OpenShift"):
                return m.open_shift(int(q["cashdeskId"]), self.now())
            if (method, name) == ("GET", "GetNextCheckId"):
                return {"id": m.next_check_id(int(q["cashdeskId"]))}
            if (method, name) == ("GET", "GetServerCurrentTime"):
                return {"time": self.now().astimezone(m.tz).replace(tzinfo=None).isoformat()}
            if (method, name) == ("POST", "PutCheck"):
                answer = m.put_check(json.loads(body or b"null"))
                if self.drop:
                    self.drop -= 1
                    return _DROP
                return answer
            if (method, name) == ("GET", "GetCardHistory"):
                holder = m.cards.get(int(q["cardId"]))
                if holder is None:
                    raise SimRefusal(404, "card_not_found", "Карта не найдена")
                return {"items": holder.history}
            if (method, path) == ("GET", "/api/Reports/DetailedSales"):
                return {"rows": m.detailed_sales(datetime.fromisoformat(q["from"]),
                                                 datetime.fromisoformat(q["to"]))}
        except (KeyError, ValueError) as exc:
            raise SimRefusal(400, "bad_request", f"Неверный запрос: {exc}") from None
        raise SimRefusal(404, "not_found", f"Нет метода {method} {path}")


_DROP: Any = object()


def demo_model() -> LimeModel:
    """An installation with goods and the demo's cards: a deposit and a bonus right each,
    one card whose bonus has expired. Ids follow §4's sample body (installation 79, cashdesk
    210, card 777 with right 555, good type 42), so that body is valid here."""
    m = LimeModel()
    for gid, name in ((42, "Обед"), (43, "Кофе"), (44, "Прокат"), (1, "Оплата"),
                      *DEMO_CATEGORIES):
        m.add_good(gid, name)
    far = datetime(2030, 1, 1, tzinfo=m.tz)
    for n in range(DEMO_RANGE[0], DEMO_RANGE[1] + 1):
        k = n - DEMO_RANGE[0]
        bonus_to = datetime(2020, 1, 1, tzinfo=m.tz) if k == 7 else far
        m.add_card(777 + k, str(n), f"Гость {k + 1}",
                   [SimRight(id=555 + 2 * k, name="Депозит", amount=500000, to=far),
                    SimRight(id=556 + 2 * k, name="Бонусы", amount=30000, to=bonus_to)])
    return m


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the host process owns the signals


class LimeSimulator:
    name = "lime"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 model: LimeModel | None = None, token_ttl: float = 3600.0,
                 demo: bool = False) -> None:
        self.host, self.port, self.demo = host, port, demo
        self.model = model or demo_model()
        self.app = LimeApp(self.model, token_ttl=token_ttl)
        # the door's demo routes this range to Lime; bonus type 0: r_keeper accrues nothing
        # on a Lime card (Lime shows no accrual call, so a Kind 2 would move no money)
        self.endpoints = {"lime_cards": f"{DEMO_RANGE[0]}-{DEMO_RANGE[1]}",
                          "lime_bonus_type": "0"}
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def fragment(self) -> dict[str, Any]:
        desk = next(iter(self.model.cashdesks))
        categories = {gid for gid, _ in DEMO_CATEGORIES}
        # in ``kassa demo`` the r_keeper door routes ``lime_cards`` (published below) to the
        # Lime programme, beside the bonus programme's range: Lime is both there
        return {"lime": {"base_url": self.url, "username": USERNAME, "password": PASSWORD,
                         "installation_id": self.model.installation_id, "cashdesk_id": desk,
                         "default_good_type_id": 1, "card_ranges": [self.endpoints["lime_cards"]],
                         "good_types": [
                             {"category": g.name, "good_type_id": g.id, "name": g.name}
                             if g.id in categories else
                             {"code": str(g.id), "good_type_id": g.id, "name": g.name}
                             for g in self.model.goods.values()]}}

    async def start(self) -> Mapping[str, Any]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, lifespan="off", access_log=False, log_config=None,
                                log_level="critical", timeout_graceful_shutdown=1)
        self._server = _Server(config)
        self._task = asyncio.get_running_loop().create_task(self._server.serve([sock]))
        for _ in range(500):
            if self._server.started or self._task.done():
                break
            await asyncio.sleep(0.01)
        if self._task.done():
            self._task.result()
        return self.fragment()

    def summary(self) -> dict[str, Any]:
        """What the demo prints: the checks Lime took (nested, as it counts no messages)."""
        paid = {s["card"] for line in self.model.entries.values() for s in line["shares"]
                if s["card"] is not None}
        return {f"installation {self.model.installation_id}": {
            "put_checks": self.model.put_checks, "checks": len(self.model.checks),
            "cards": len(paid)}}

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = self._server.force_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None


