"""The real hub with this plugin and its demo simulator: alert out, command in, reply out."""

from datetime import UTC, datetime
from types import SimpleNamespace

import anyio
import kassa_max
import pytest
from kassa.model import Event, Severity
from kassa.testing import make_hub

pytestmark = pytest.mark.anyio


async def test_alert_and_status_command_through_the_hub(tmp_path):
    [demo] = kassa_max.register_simulators(SimpleNamespace(sites=["r1"]))
    fragment = await demo.start()
    try:
        site_chat, owners_chat = (int(c["chat_id"]) for c in fragment["chats"])
        fragment["max"]["poll_timeout"] = 1
        demo.sim.world.set_admin(site_chat, admin=False)  # commands there would go unseen
        config = {"sites": [{"code": "r1", "name": "Ромашка"}], **fragment}
        async with make_hub(config, tmp_path, plugins=[kassa_max]) as hub:
            event = Event(site="r1", kind="check_deleted", source_key="e1",
                          occurred_at=datetime.now(UTC), severity=Severity.DANGER)
            assert await hub.emit(event)
            assert await hub.drain(timeout=10)
            assert len(demo.sim.received(site_chat)) == 1
            owner = next(iter(demo.sim.world.users.values()))
            demo.sim.world.say(owners_chat, owner.user_id, "/status")
            with anyio.fail_after(10):
                while not demo.sim.received(owners_chat)[1:]:  # noqa: ASYNC110 (sim state)
                    await anyio.sleep(0.05)
            # the alert itself went to the owners too; the /status reply came after it
            alert, reply = demo.sim.received(owners_chat)[:2]
            assert alert["text"] == demo.sim.received(site_chat)[0]["text"]
            assert reply["text"].startswith("Состояние")
            assert f"администратор с правом «Читать все сообщения» в группе {site_chat}" in (
                reply["text"])
    finally:
        await demo.stop()
