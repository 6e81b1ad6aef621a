"""The till door: FarCards-HTTP on its own listener (``[farcards]``), never the admin API's
port, so tills can reach it without reaching the admin API. Bound to 127.0.0.1 unless
``host`` says otherwise.

Who may call: an address in ``allow`` (CIDR; empty = any) AND a till key from ``tills``,
sent either as HTTP Basic (user = the till's name, password = its key: what ExtDllHTTP's
``BasicAuthentication=1`` with UserName/Password sends) or as a path segment before the call,
``/farcards/<key>/getcardinfoex`` (the ini names each call's script). Anything else is
refused in the call's own envelope (401 no or wrong key, 403 address), nothing is posted, the
log says so once per address per minute (never with the key), and ``alert_after`` refusals
from one address within ``alert_window`` seconds raise one ``farcards_access_refused`` event.
An answer that fails (5xx) is logged with a correlation id the answer carries (the
``X-Correlation-Id`` header and the text the till shows) and raises ``farcards_failed``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import logging
import secrets
import socket
import time
from datetime import UTC, datetime
from ipaddress import ip_address, ip_network
from typing import Any

import anyio
from kassa.model import Event
from kassa.ports import bind_error

from kassa_rkeeper.farcards import kinds
from kassa_rkeeper.farcards import wire as fw
from kassa_rkeeper.farcards.dispatch import Dispatcher, TillRefusal
from kassa_rkeeper.farcards.limits import Refused
from kassa_rkeeper.farcards.settings import FarCardsSettings
from kassa_rkeeper.farcards.texts import say

log = logging.getLogger("kassa.rkeeper.farcards")
RETRY_S = 10.0  # a port that cannot be bound is tried again this often, quietly
QUIET_S = 60.0  # refusals from one address are logged at most once in this long
PREFIX = "/farcards/"
XML = b"application/xml; charset=utf-8"


class Door:
    def __init__(self, hub: Any, cfg: FarCardsSettings, locale: str = "ru") -> None:
        self.hub, self.cfg, self.locale = hub, cfg, locale
        self.dispatcher = Dispatcher(hub, cfg, locale)
        self.nets = [ip_network(c, strict=False) for c in cfg.allow]
        self.port: int | None = None  # bound port (known once listening)
        self.listening = anyio.Event()
        self.error: str | None = None  # why it is not listening
        self.refused = 0
        self.failed = 0
        self._server: Any = None
        self._closing = False
        self.closed = anyio.Event()  # set when run() has returned: no request is under way
        self._logged: dict[str, float] = {}
        self._recent: dict[str, list[float]] = {}  # address -> refusal times in the window

    # --- who may call ----------------------------------------------------------------------
    def admit(self, client: str, key: str | None, authorization: str) -> tuple[int, str] | None:
        """None to let the call in; else (status, text the till shows)."""
        if self.nets and not _inside(client, self.nets):
            return 403, say(self.locale, "door_address", address=client)
        if key is not None:
            ok = any(hmac.compare_digest(key.encode(), t.key.reveal().encode())
                     for t in self.cfg.tills)
        else:
            user, password = _basic(authorization)
            ok = any(hmac.compare_digest(user.encode(), t.name.encode())
                     & hmac.compare_digest(password.encode(), t.key.reveal().encode())
                     for t in self.cfg.tills)
        return None if ok else (401, say(self.locale, "door_key"))

    async def _note(self, client: str, status: int, call: str) -> None:
        self.refused += 1
        now = time.monotonic()
        if len(self._logged) > 4096:  # a scan from many addresses: forget the old ones
            self._logged = {a: t for a, t in self._logged.items() if now - t < QUIET_S}
            self._recent = {a: ts for a, ts in self._recent.items()
                            if ts and now - ts[-1] < self.cfg.alert_window}
        recent = [t for t in self._recent.get(client, []) if now - t < self.cfg.alert_window]
        recent.append(now)
        self._recent[client] = recent
        why = "its address is not in [farcards] allow" if status == 403 else "no valid till key"
        if now - self._logged.get(client, -QUIET_S) >= QUIET_S:
            self._logged[client] = now
            log.warning("FarCards door: refused %s from %s: %s (more from it are not logged "
                        "for %.0f s)", call, client, why, QUIET_S)
        if len(recent) == self.cfg.alert_after:  # once per burst: the window must empty first
            await self._event(kinds.ACCESS_REFUSED, f"{client}:{int(now // self.cfg.alert_window)}",
                              reason=f"{len(recent)} refusals from {client} in "
                                     f"{self.cfg.alert_window:.0f} s: {why}",
                              data={"address": client, "status": status, "count": len(recent)})

    async def _event(self, kind: str, key: str, *, reason: str, data: dict[str, Any]) -> None:
        try:
            await self.hub.emit(Event.of(site="farcards", kind=kind,
                                         source_key=f"{kind}:{key}",
                                         occurred_at=datetime.now(UTC), reason=reason,
                                         data=data))
        except Exception:
            log.exception("FarCards door: could not emit %s", kind)

    # --- one admitted call -----------------------------------------------------------------
    async def answer(self, call: str, body: bytes) -> tuple[int, bytes, str | None]:
        """(HTTP status, XML, correlation id of a failure). Refusals are 200 with the
        call's refusal envelope: ExtDllHTTP shows its text; a 4xx/5xx it would not."""
        try:
            root = fw.parse_xml(body)
            if call == "getcardinfoex":
                info = await self.dispatcher.card_info(fw.parse_card_query(root))
                return 200, fw.card_info_xml(info), None
            if call == "findemail":
                found = await self.dispatcher.find_email(fw.parse_email_query(root))
                return 200, fw.find_email_xml(found), None
            if call == "getcardimageex":
                text = self.dispatcher.card_image(fw.parse_image_query(root))
                return 200, fw.card_image_error_xml(text), None
            posted = await self.dispatcher.transactions(fw.parse_batch(root))
            return 200, fw.transactions_result_xml(True, when=datetime.now(), posted=posted), \
                None
        except Refused as exc:
            text = say(self.locale, "bad_request", reason=str(exc))
            log.info("FarCards door: %s refused: %s", call, exc)
            return 200, fw.refusal(call, text, datetime.now()), None
        except TillRefusal as exc:
            log.info("FarCards door: %s refused: %s", call, exc)
            return 200, fw.refusal(call, str(exc), datetime.now()), None
        except Exception:
            ref = secrets.token_hex(6)
            self.failed += 1
            log.exception("FarCards door: %s failed [correlation id %s]; nothing was posted",
                          call, ref)
            await self._event(kinds.FAILED, ref, reason=f"{call} failed (correlation id {ref})",
                              data={"call": call, "correlation_id": ref})
            return 500, fw.refusal(call, say(self.locale, "door_failed", ref=ref)), ref

    # --- ASGI ------------------------------------------------------------------------------
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        call, key = _route(scope["path"])
        if call is None or scope["method"] != "POST":
            status = 404 if call is None else 405
            await _reply(send, status, b"<Root><Error Text=\"FarCards-HTTP: POST /farcards/"
                         b"getcardinfoex, transactionsex, findemail or getcardimageex\"/>"
                         b"</Root>")
            return
        client = (scope.get("client") or ("", 0))[0]
        headers = dict(scope.get("headers") or [])
        refusal = self.admit(client, key, headers.get(b"authorization", b"").decode("latin-1"))
        if refusal is not None:
            status, text = refusal
            await self._note(client, status, call)
            extra = [(b"www-authenticate", b'Basic realm="kassa-farcards"')] \
                if status == 401 else []
            await _reply(send, status, fw.refusal(call, text), extra)
            return
        body = await _body(receive, self.cfg.max_body)
        if body is None:
            await _reply(send, 413, fw.refusal(
                call, say(self.locale, "door_too_big", limit=self.cfg.max_body)))
            return
        status, out, ref = await self.answer(call, body)
        await _reply(send, status, out,
                     [(b"x-correlation-id", ref.encode())] if ref else None)

    # --- the listener ----------------------------------------------------------------------
    async def run(self) -> None:
        """Serve until shutdown; a port that cannot be bound is one error line, then quiet
        retries every RETRY_S (the rest of the hub keeps working)."""
        cfg, down = self.cfg, False
        if not _loopback(cfg.host) and not cfg.allow:
            log.warning("FarCards door on %s:%s takes a till key from any address: list the "
                        "tills' networks in [farcards] allow", cfg.host, cfg.port)
        try:
            await self._serve(cfg, down)
        finally:
            self.closed.set()

    async def _serve(self, cfg: FarCardsSettings, down: bool) -> None:
        import uvicorn

        while not self._closing:
            try:
                sock = _listening_socket(cfg.host, cfg.port)
            except OSError as exc:
                text = bind_error("the FarCards door", cfg.host, cfg.port, exc)
                if not down:
                    log.error("%s; trying again every %.0f s", text, RETRY_S)
                self.error, down = text, True
                await anyio.sleep(RETRY_S)
                continue
            self.port, self.error = sock.getsockname()[1], None
            config = uvicorn.Config(self, lifespan="off", access_log=False, log_config=None,
                                    log_level="warning", proxy_headers=False)  # the socket's
            # peer is the till: no X-Forwarded-For may stand in for an allowed address
            self._server = server = uvicorn.Server(config)
            server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
            log.info("FarCards door on http://%s:%s%s%s (%d till key(s))", cfg.host, self.port,
                     PREFIX, " (back)" if down else "", len(cfg.tills))
            down = False
            self.listening.set()
            try:
                await server.serve(sockets=[sock])
            finally:
                _unwatch(server)
                sock.close()
                self.listening = anyio.Event()

    def stop(self) -> None:
        """Finish the requests under way and close the port."""
        self._closing = True
        if self._server is not None:
            self._server.should_exit = True

    async def aclose(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (bounded wait)
        """Stop, and wait until the requests under way are answered: their payments' events
        must reach the bus before the hub stops it."""
        self.stop()
        with anyio.move_on_after(timeout):
            await self.closed.wait()


def start(hub: Any, cfg: FarCardsSettings) -> Door | None:
    """Open the door as a hub job; None (and one line saying why) when no till key is set."""
    if not cfg.tills:
        log.info("FarCards door closed: no till keys in [farcards] tills")
        return None
    hub_settings = getattr(hub.settings, "hub", None)
    door = Door(hub, cfg, getattr(hub_settings, "locale", "ru") or "ru")
    hub.state("rkeeper")["farcards"] = door
    hub.spawn(door.run, name="rkeeper-farcards-door")
    return door


def _route(path: str) -> tuple[str | None, str | None]:
    """(call, key from the path or None) for ``/farcards/[<key>/]<call>``."""
    if not path.startswith(PREFIX):
        return None, None
    parts = path[len(PREFIX):].strip("/").split("/")
    if len(parts) == 1 and parts[0] in fw.CALLS:
        return parts[0], None
    if len(parts) == 2 and parts[1] in fw.CALLS and parts[0]:
        return parts[1], parts[0]
    return None, None


def _basic(header: str) -> tuple[str, str]:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(token.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def _inside(client: str, nets: list[Any]) -> bool:
    try:
        addr = ip_address(client)
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)  # ::ffff:10.0.0.5 is 10.0.0.5
    return any(addr in n or (mapped is not None and mapped in n) for n in nets)


def _loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _unwatch(server: Any) -> None:
    """Stop the event loop watching the listening socket before it is closed. A door task
    cancelled inside uvicorn's serve (a hub stopping before the door finished its shutdown)
    left the socket registered with the loop's selector; closing it then freed its fd
    number while the selector still held it, so the next socket to get that number (the
    next hub's door in the same process) was never registered for accepts (asyncio only
    updates the key of an fd it thinks is watched): its calls were queued by the kernel
    and never answered. ``asyncio.Server.close`` removes the reader; after a normal serve
    it is a no-op."""
    for listener in getattr(server, "servers", None) or ():
        with contextlib.suppress(Exception):
            listener.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK waits
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


async def _body(receive: Any, limit: int) -> bytes | None:
    """The request body, or None when it is over ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        msg = await receive()
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not msg.get("more_body"):
            return b"".join(chunks)


async def _reply(send: Any, status: int, body: bytes,
                 extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", XML), (b"content-length", str(len(body)).encode()),
               *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
