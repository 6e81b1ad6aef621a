"""The core's /api/health reflects the r_keeper source: degraded while its listener is down."""

import socket

import anyio
import httpx
import kassa_rkeeper
import pytest
from kassa.testing import make_hub
from kassa_rkeeper.sim import RKeeperSim

from .conftest import START

pytestmark = pytest.mark.anyio


async def test_api_health_is_degraded_while_the_listener_is_down(tmp_path):
    sim = RKeeperSim("r1", start=START)
    fragment = await sim.start()
    rk = fragment["sites"][0]["rkeeper"]
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", rk["listen_port"]))
    squatter.listen()
    try:
        async with make_hub(fragment, tmp_path, plugins=[kassa_rkeeper], api=True) as hub, \
                httpx.AsyncClient(headers={"Authorization": "Bearer test-token"}) as http:
            url = f"http://127.0.0.1:{hub.api_port}/api/health"
            await anyio.sleep(1.5)
            body = (await http.get(url)).json()
            assert body["status"] == "degraded"
            (problem,) = body["problems"]
            assert problem["site"] == "r1" and "cannot listen" in problem["error"]
            squatter.close()
            with anyio.fail_after(5):
                while (await http.get(url)).json()["status"] != "ok":  # noqa: ASYNC110
                    await anyio.sleep(0.1)
    finally:
        squatter.close()
        await sim.stop()
