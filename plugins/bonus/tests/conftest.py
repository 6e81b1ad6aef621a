"""Fixtures: a fake clock, a bonus store on SQLite in tmp_path (and on PostgreSQL when
KASSA_TEST_PG_URL is set, for tests marked ``integration``)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import kassa_bonus
import pytest
from kassa_bonus import schema
from kassa_bonus.guests import GuestBook
from kassa_bonus.ledger import Ledger
from kassa_bonus.store import BonusStore
from litestar import Litestar
from sqlalchemy import inspect, text

PG_URL = os.environ.get("KASSA_TEST_PG_URL", "")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


MIGRATIONS = {"bonus": Path(kassa_bonus.__file__).parent / "migrations"}


async def make_store(url: str) -> Any:
    """The core's Store (engine with the hub's pragmas, write transactions, the plugins'
    migrations) with our tables, as a hub's start makes them."""
    from kassa.store import Store

    db = Store(url, migrations=MIGRATIONS)
    if db.engine.dialect.name == "postgresql":  # a clean ledger each test
        await drop_bonus(db)
        await db.upgrade()
    else:
        await db.prepare()
    return db


async def drop_bonus(db: Any) -> None:
    """PostgreSQL: the bonus tables and their revision gone (the core's stay)."""
    async with db.engine.begin() as conn:
        await conn.run_sync(schema.metadata.drop_all)
        await conn.exec_driver_sql("DROP FUNCTION IF EXISTS bonus_append_only()")
        if await conn.run_sync(lambda c: inspect(c).has_table("alembic_version")):
            await conn.execute(text("DELETE FROM alembic_version WHERE version_num LIKE :b"),
                               {"b": "bonus%"})


def bonus_store(db: Any, clock: Any) -> BonusStore:
    return BonusStore(db.engine, clock, db.write, db.write_sync)


def _backends() -> list[Any]:
    out: list[Any] = ["sqlite"]
    out.append(pytest.param("pg", marks=[pytest.mark.integration, pytest.mark.skipif(
        not PG_URL, reason="KASSA_TEST_PG_URL not set")]))
    return out


@pytest.fixture(params=_backends())
async def db(request: Any, tmp_path: Any) -> Any:
    url = PG_URL if request.param == "pg" else f"sqlite+aiosqlite:///{tmp_path / 'bonus.db'}"
    st = await make_store(url)
    yield st
    await st.close()


@pytest.fixture
async def sqlite_db(tmp_path: Any) -> Any:
    st = await make_store(f"sqlite+aiosqlite:///{tmp_path / 'bonus.db'}")
    yield st
    await st.close()


@pytest.fixture
async def book(db: Any, clock: FakeClock) -> tuple[Ledger, GuestBook]:
    store = bonus_store(db, clock)
    return await Ledger.open(store), GuestBook(store)


class FakeHub:
    """The part of HubAPI the bonus plugin uses (until kassa.testing.make_hub is in the tree)."""

    def __init__(self, db: Any, clock: FakeClock, bonus: Any = None) -> None:
        from kassa.config import SiteSettings
        from kassa_bonus.settings import BonusSettings

        self.engine = db.engine
        self.transaction = db.write
        self.write_sync = db.write_sync
        self.clock = clock
        self._state: dict[str, dict[str, Any]] = {}
        self.settings = type("S", (), {"sites": [SiteSettings(code="cafe",
                                                              timezone="Europe/Moscow")]})()
        self._bonus = bonus or BonusSettings()
        self.sent: list[tuple[Any, str]] = []
        self.jobs: list[str] = []  # what on_startup asked to spawn (not run here)

    def spawn(self, fn: Any, *, name: str) -> None:
        self.jobs.append(name)

    def section(self, name: str, cls: Any = None) -> Any:
        return self._bonus if name == "bonus" else cls() if cls else None

    def state(self, owner: str) -> dict[str, Any]:
        return self._state.setdefault(owner, {})

    async def send(self, message: Any, *, key: str, conn: Any = None) -> bool:
        if any(k == key for _, k in self.sent):
            return False
        self.sent.append((message, key))
        return True


@pytest.fixture
async def hub(sqlite_db: Any, clock: FakeClock) -> FakeHub:
    return FakeHub(sqlite_db, clock)


def api_settings() -> Any:
    """Two API keys: a site with read+write, a report tool with read only."""
    from kassa.secret import Secret
    from kassa_bonus.settings import ApiKey, BonusSettings

    return BonusSettings(api_keys=[ApiKey("site", Secret("site-key-123"), ["read", "write"]),
                                   ApiKey("report", Secret("read-key-456"), ["read"])])


def asgi_transport(app: Litestar) -> httpx.ASGITransport:
    """httpx in process over ``app``. Litestar types the ASGI scope as TypedDicts and httpx
    asks for a MutableMapping: the same ASGI callable, which the two stubs cannot agree on."""
    return httpx.ASGITransport(app=cast(Any, app))


@asynccontextmanager
async def serve_asgi(app: Any) -> AsyncIterator[str]:
    """``app`` on a real uvicorn at 127.0.0.1:<free port>; yields the base URL."""
    import socket

    import anyio
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: server.serve(sockets=[sock]))
        with anyio.fail_after(10):
            while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag)
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        server.should_exit = True


@pytest.fixture
async def served(hub: FakeHub) -> Any:
    """The plugin's routes on a real uvicorn at 127.0.0.1:<free port>; yields (base_url, hub)."""
    import kassa_bonus
    from litestar import Litestar

    app = Litestar(route_handlers=kassa_bonus.register_routes(hub), logging_config=None)
    async with serve_asgi(app) as url:
        yield url, hub

class Receiver:
    """A webhook receiver (raw ASGI on uvicorn): records (headers, body) of every POST."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            msg = await receive()
            body += msg.get("body", b"")
            if not msg.get("more_body"):
                break
        self.got.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def receiver() -> Any:
    """Yields (url, Receiver) on 127.0.0.1:<free port>."""
    rec = Receiver()
    async with serve_asgi(rec) as url:
        yield f"{url}/hook", rec
