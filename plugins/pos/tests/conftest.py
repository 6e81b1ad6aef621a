"""Fixtures shared by the pos plugin's integration tests."""

from __future__ import annotations

import os
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

PG = os.environ.get("KASSA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A PostgreSQL URL whose search path is a fresh schema, dropped after the test."""
    from sqlalchemy.ext.asyncio import create_async_engine

    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(PG)
    async with admin.begin() as c:
        await c.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{PG}?options=-csearch_path%3D{schema}"
    async with admin.begin() as c:
        await c.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    await admin.dispose()


@pytest.fixture
async def chain_engine(pg_url: str) -> AsyncIterator[object]:
    """An engine on ``pg_url`` with the chain's tables (``ingest.metadata``) created."""
    from kassa_pos.chain.ingest import metadata
    from sqlalchemy.ext.asyncio import create_async_engine

    eng = create_async_engine(pg_url)
    async with eng.begin() as c:
        await c.run_sync(metadata.create_all)
    yield eng
    await eng.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A nats-server process of the test (the central one or a store's leaf)."""

    def __init__(self, conf: Path) -> None:
        self.conf = conf
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["nats-server", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server, str, str]]:
    """The centre's nats-server (domain hub, a leafnodes listener) and store S01's leaf:
    (hub, leaf, the hub's client URL, the store's client URL)."""
    from kassa_pos.chain.config import leaf_conf

    hub_port, leaf_listen, store_port = free_port(), free_port(), free_port()
    hub_conf = tmp_path / "hub.conf"
    hub_conf.write_text(f"listen: 127.0.0.1:{hub_port}\nserver_name: hub\n"
                        f'jetstream {{ domain: hub, store_dir: "{tmp_path / "hubjs"}" }}\n'
                        f"leafnodes {{ listen: 127.0.0.1:{leaf_listen} }}\n")
    store_conf = tmp_path / "leaf.conf"
    store_conf.write_text(leaf_conf("S01", f"nats://127.0.0.1:{leaf_listen}",
                                    tmp_path / "leafjs", port=store_port))
    hub, leaf = Server(hub_conf), Server(store_conf)
    hub.start()
    leaf.start()
    yield hub, leaf, f"nats://127.0.0.1:{hub_port}", f"nats://127.0.0.1:{store_port}"
    leaf.stop()
    hub.stop()
