"""Property test of the REST API against its own OpenAPI spec: no input gives a 500, every
error is the documented envelope. A real uvicorn on 127.0.0.1:0 in a thread."""

from __future__ import annotations

import asyncio
import socket
import tempfile
import threading
from pathlib import Path

import kassa_bonus
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from litestar import Litestar
from schemathesis.core.result import Err, Ok

from plugins.bonus.tests.conftest import FakeClock, FakeHub, api_settings, make_store

HEADERS = {"X-Api-Key": "site-key-123"}


def _serve(sock: socket.socket, ready: threading.Event, stop: list[uvicorn.Server]) -> None:
    async def main() -> None:
        tmp = tempfile.mkdtemp()
        db = await make_store(f"sqlite+aiosqlite:///{Path(tmp) / 'api.db'}")
        hub = FakeHub(db, FakeClock(), api_settings())
        app = Litestar(route_handlers=kassa_bonus.register_routes(hub), logging_config=None)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        stop.append(server)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes only a flag)
            await asyncio.sleep(0.01)
        ready.set()
        await task
        await db.close()

    asyncio.run(main())


@pytest.fixture(scope="module")
def api_url():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    ready, stop = threading.Event(), list[uvicorn.Server]()
    t = threading.Thread(target=_serve, args=(sock, ready, stop), daemon=True)
    t.start()
    assert ready.wait(10)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop[0].should_exit = True
    t.join(5)


def test_no_server_errors(api_url):
    schema = schemathesis.openapi.from_url(f"{api_url}/schema/openapi.json")
    found = list(schema.get_all_operations())
    assert not [r.err() for r in found if isinstance(r, Err)]
    operations = [r.ok() for r in found if isinstance(r, Ok)]
    assert len(operations) >= 15
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            headers = dict(HEADERS)
            if case.headers and "Idempotency-Key" in case.headers:
                headers["Idempotency-Key"] = case.headers["Idempotency-Key"] or "k"
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.path, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"} and isinstance(body["error"]["code"], str)

        check()  # runs now, inside this iteration
