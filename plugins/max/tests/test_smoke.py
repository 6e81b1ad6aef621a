import pytest

pytestmark = pytest.mark.anyio


async def test_me_and_send(sim, client):
    me = await client.me()
    assert me["is_bot"] is True and me["username"] == "kassa_demo_bot"
    group = sim.world.add_group("Ромашка")
    msg = await client.send({"text": "<b>Hi</b> &amp; bye", "format": "html"}, chat_id=group.chat_id)
    assert msg["body"]["mid"].startswith("mid.")
    assert sim.received(group.chat_id)[0]["text"] == "Hi & bye"
