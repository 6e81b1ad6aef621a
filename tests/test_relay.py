"""A site node keeps working with the centre's link down and catches up when it returns."""

from __future__ import annotations

import os
import uuid

import anyio
import pytest
from anyio.abc import SocketStream
from kassa.testing import CaptureChannel, ComponentsPlugin, eventually, make_hub

from tests.factories import CONFIG, ev

pytestmark = [pytest.mark.anyio, pytest.mark.integration]
NATS = os.environ.get("KASSA_TEST_NATS_URL", "nats://127.0.0.1:4222")


class LinkProxy:
    """A TCP proxy we can cut: the site's WAN link to the centre."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self.port = 0
        self._scopes: list[anyio.CancelScope] = []

    async def serve(self, *, task_status=anyio.TASK_STATUS_IGNORED) -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        task_status.started()
        await listener.serve(self._handle)

    async def _handle(self, client: SocketStream) -> None:
        if not self.up:
            await client.aclose()
            return
        with anyio.CancelScope() as scope:
            self._scopes.append(scope)
            async with client, await anyio.connect_tcp("127.0.0.1", self.target_port) as server:
                async with anyio.create_task_group() as tg:
                    async def pipe(a: SocketStream, b: SocketStream) -> None:
                        try:
                            async for chunk in a:
                                await b.send(chunk)
                        except (anyio.EndOfStream, anyio.BrokenResourceError,
                                anyio.ClosedResourceError):
                            pass
                        tg.cancel_scope.cancel()
                    tg.start_soon(pipe, client, server)
                    tg.start_soon(pipe, server, client)

    def cut(self) -> None:
        self.up = False
        for s in self._scopes:
            s.cancel()
        self._scopes.clear()


async def test_site_relays_to_centre_and_catches_up_after_outage(tmp_path):
    stream = f"KR{uuid.uuid4().hex[:8]}"
    subject = f"kassa.relaytest.{stream.lower()}"
    nats_port = int(NATS.rsplit(":", 1)[1])
    proxy = LinkProxy(nats_port)
    site_chat = CaptureChannel()
    owners = CaptureChannel("capture")
    site_cfg = {"sites": CONFIG["sites"], "chats": [CONFIG["chats"][0]]}
    centre_cfg = {"sites": CONFIG["sites"], "chats": [CONFIG["chats"][1]],
                  "bus": {"backend": "nats", "url": NATS, "stream": stream, "subject": subject}}
    async with anyio.create_task_group() as tg:
        await tg.start(proxy.serve)
        site_cfg["relay"] = {"url": f"nats://127.0.0.1:{proxy.port}", "stream": stream,
                             "subject": subject, "retry_max": 1.0}
        (tmp_path / "site").mkdir()
        (tmp_path / "centre").mkdir()
        async with make_hub(centre_cfg, tmp_path / "centre",
                            plugins=[ComponentsPlugin(channels=[owners])]) as centre, \
                make_hub(site_cfg, tmp_path / "site",
                         plugins=[ComponentsPlugin(channels=[site_chat])]) as site:
            await site.emit(ev(key="before"))

            def centre_has(n: int):
                async def check() -> bool:
                    return len(await centre.events()) >= n
                return check

            await eventually(centre_has(1))
            proxy.cut()
            for i in range(5):  # the link is down: the site still works
                assert await site.emit(ev(key=f"down{i}", order=str(i))) is True
            await site.drain()
            assert len(site_chat.texts("-1")) == 6  # site alerts never waited for the centre
            await anyio.sleep(1.5)
            assert len(await centre.events()) == 1
            proxy.up = True  # the link returns: the relay catches up from its cursor
            await eventually(centre_has(6), within=40)
            keys = [e.source_key for e in await centre.events()]
            assert sorted(keys) == sorted(["before"] + [f"down{i}" for i in range(5)])
            await centre.drain(timeout=10)
        tg.cancel_scope.cancel()
    import nats

    nc = await nats.connect(NATS)
    await nc.jetstream().delete_stream(stream)
    await nc.close()
    assert len(owners.texts("-2")) == 6  # the owners' chat at the centre heard everything
