"""The Channel against the simulator: what a chat receives and what Kassa gets back."""

import anyio
import pytest
from kassa.errors import RetryLater
from kassa.model import Attachment, Button, ChatRef, Message
from kassa.secret import Secret
from kassa_max.channel import MaxChannel
from kassa_max.settings import Mode, WebhookSettings

from .conftest import settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture
async def channel(sim):
    ch = MaxChannel(settings_for(sim, poll_timeout=1), locale="ru")
    yield ch
    await ch.aclose()


def msg(chat, text="<b>Удаление блюда</b>\nСтол 12", **kw):
    return Message(chat=ChatRef("max", str(chat.chat_id)), text=text, **kw)


async def next_incoming(agen, seconds=3.0):
    with anyio.fail_after(seconds):
        return await agen.__anext__()


async def test_text_with_buttons(sim, channel):
    group = sim.world.add_group("Ромашка")
    buttons = ((Button("Подробнее", data="ev:9f3a:det"), Button("Открыть", url="https://x.ru")),)
    d = await channel.send(msg(group, buttons=buttons, silent=True))
    [got] = sim.received(group.chat_id)
    assert got["mid"] == d.remote_id and got["text"] == "Удаление блюда\nСтол 12"
    assert got["markup"] == [{"type": "strong", "from": 0, "length": 14}]
    kb = got["attachments"][0]["payload"]["buttons"]
    assert kb == [[{"type": "callback", "text": "Подробнее", "payload": "ev:9f3a:det"},
                   {"type": "link", "text": "Открыть", "url": "https://x.ru"}]]


async def test_long_text_is_split_and_keyboard_is_on_the_last_part(sim, channel):
    group = sim.world.add_group("Ромашка")
    text = "\n".join(f"<b>Блюдо {i}</b> — 2 450 ₽" for i in range(500))
    await channel.send(msg(group, text, buttons=((Button("Ещё", data="rep:more"),),)))
    got = sim.received(group.chat_id)
    assert len(got) > 1 and all(len(g["raw_text"]) < 4000 for g in got)
    assert [bool(g.get("attachments")) for g in got] == [False] * (len(got) - 1) + [True]


async def test_file_goes_alone_and_keyboard_follows(sim, channel):
    sim.world.not_ready_sends = 2  # the upload is "processing" for two sends
    group = sim.world.add_group("Ромашка")
    report = Attachment("z_2026-08-31.csv", b"dish;qty\n", "text/csv", caption="<b>Z-отчёт</b>")
    await channel.send(msg(group, "Отчёт за смену", attachments=(report,),
                           buttons=((Button("Повторить", data="rep:z"),),)))
    text, file_msg, follow_up = sim.received(group.chat_id)
    assert text["text"] == "Отчёт за смену" and "attachments" not in text
    [att] = file_msg["attachments"]
    assert att["type"] == "file" and att["payload"]["filename"] == "z_2026-08-31.csv"
    assert file_msg["text"] == "Z-отчёт"
    assert follow_up["attachments"][0]["type"] == "inline_keyboard"
    not_ready = [c for c in sim.calls if c == ("POST", "/messages", 400)]
    assert len(not_ready) == 2
    assert [c[1] for c in sim.calls].count("/uploads") == 1


async def test_upload_gives_up_after_the_configured_tries(sim):
    sim.world.not_ready_sends = 10
    ch = MaxChannel(settings_for(sim, upload_tries=3), locale="ru")
    group = sim.world.add_group("Ромашка")
    try:
        with pytest.raises(RetryLater, match="processing"):
            await ch.send(msg(group, "", attachments=(Attachment("a.txt", b"x"),)))
    finally:
        await ch.aclose()


async def test_edit(sim, channel):
    group = sim.world.add_group("Ромашка")
    d = await channel.send(msg(group, buttons=((Button("Смена", data="rep:shift"),),)))
    await channel.send(msg(group, "<i>Готово</i>", edit_of=d.remote_id))
    [got] = sim.received(group.chat_id)
    assert got["text"] == "Готово" and got["edited"] and "attachments" not in got


async def test_a_retry_resumes_after_parts_already_sent(sim, channel):
    group = sim.world.add_group("Ромашка")
    message = msg(group, "\n".join(f"строка {i}" for i in range(1200)))
    sim.fail_next(1, "503", path="/messages")
    with pytest.raises(RetryLater):
        await channel.send(message)
    assert sim.received(group.chat_id) == []
    # the first part goes through, the second fails: a retry must not repeat the first
    sim.fail_next(1, "503", path="/messages", after=1)
    with pytest.raises(RetryLater):
        await channel.send(message)
    assert len(sim.received(group.chat_id)) == 1
    await channel.send(message)
    parts = sim.received(group.chat_id)
    labels = [p["text"].rsplit("\n", 1)[-1] for p in parts]
    assert len(parts) > 2 and labels == [f"({k}/{len(parts)})" for k in range(1, len(parts) + 1)]


async def test_updates_from_a_dialog(sim, channel):
    user = sim.world.add_user("Анна", "Петрова")
    agen = channel.updates()
    chat = sim.world.start(user.user_id, payload="bind_Zx9-aa")
    first = await next_incoming(agen)
    assert first.text == "/start bind_Zx9-aa" and first.chat_id == str(chat.chat_id)
    assert first.user_id == str(user.user_id) and first.user_name == "Анна Петрова"
    sim.world.say(chat.chat_id, user.user_id, "/report shift")
    second = await next_incoming(agen)
    assert second.text == "/report shift" and second.chat_type == "private"
    sim.world.share_contact(chat.chat_id, user.user_id, "+79001234567")
    third = await next_incoming(agen)
    assert third.contact_phone == "+79001234567"
    await agen.aclose()


async def test_button_press_and_answer(sim, channel):
    group = sim.world.add_group("Ромашка")
    user = sim.world.add_user("Игорь")
    d = await channel.send(msg(group, buttons=((Button("Смена", data="rep:shift:17"),),)))
    agen = channel.updates()
    sim.world.press(group.chat_id, d.remote_id, "rep:shift:17", user.user_id)
    inc = None
    while inc is None or inc.callback_id is None:  # bot_added comes first, and is not input
        inc = await next_incoming(agen)
    assert inc.callback_data == "rep:shift:17" and inc.message_id == d.remote_id
    assert inc.chat_type == "group" and channel.is_group(inc.chat)
    await channel.answer_callback(inc, "Формирую отчёт…")
    assert sim.world.notifications[-1]["text"] == "Формирую отчёт…"
    await channel.answer_callback(inc, "again")  # a second answer is refused, and ignored
    await agen.aclose()


async def test_group_messages_need_admin_with_read_all(sim, channel):
    blind = sim.world.add_group("Без прав", admin=False)
    seeing = sim.world.add_group("С правами")
    user = sim.world.add_user("Игорь")
    sim.world.say(blind.chat_id, user.user_id, "/status")
    sim.world.say(seeing.chat_id, user.user_id, "/status")
    agen = channel.updates()
    inc = await next_incoming(agen)
    assert inc.chat_id == str(seeing.chat_id) and inc.text == "/status"
    health = channel.health()
    assert health["groups"][str(blind.chat_id)] == {"admin": False, "read_all_messages": False}
    assert health["groups"][str(seeing.chat_id)]["read_all_messages"] is True
    assert not health["ok"] and str(blind.chat_id) in health["warnings"][0]
    await agen.aclose()


async def test_polling_honours_retry_after_and_keeps_updates(sim, channel):
    user = sim.world.add_user("Анна")
    sim.world.start(user.user_id)
    sim.fail_next(1, "503", path="/updates")
    agen = channel.updates()
    inc = await next_incoming(agen, 5)
    assert inc.text == "/start"
    assert ("GET", "/updates", 503) in sim.calls
    await agen.aclose()


async def test_webhook_mode(sim):
    sim.allow_http_webhooks = True  # the receiver here is plain HTTP on localhost
    secret = Secret("hook_secret-123")
    from kassa_max.http_server import HttpServer, Request, Response

    async def nothing(request: Request) -> Response:
        raise AssertionError("the probe only finds a port; it is never asked")

    probe = HttpServer(nothing)  # find a free port for the receiver
    await probe.start()
    port = probe.port
    await probe.stop()
    hook = WebhookSettings(url="https://kassa.example.ru/max", secret=secret, port=port)
    ch = MaxChannel(settings_for(sim, mode=Mode.WEBHOOK, webhook=hook))
    try:
        # MAX needs the public URL; here it points straight at the receiver
        hook.url = f"http://127.0.0.1:{port}/max"
        agen = ch.updates()
        user = sim.world.add_user("Анна")
        task_result = {}

        async def first():
            task_result["inc"] = await next_incoming(agen, 5)

        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            for _ in range(50):
                if sim.subscriptions:
                    break
                await anyio.sleep(0.02)
            sim.world.start(user.user_id, payload="p1")
        assert task_result["inc"].text == "/start p1"
        # polling gets nothing while a subscription exists
        assert (await ch.client.updates(marker=None, hold=0))["updates"] == []
        import httpx
        async with httpx.AsyncClient() as raw:
            forged = await raw.post(hook.url, json={"update_type": "bot_started"},
                                    headers={"X-Max-Bot-Api-Secret": "guess"})
            missing = await raw.post(hook.url, json={"update_type": "bot_started"})
        assert forged.status_code == 401 and missing.status_code == 401
        assert ch.webhook is not None and ch.webhook.rejected == 2
        await agen.aclose()
    finally:
        await ch.aclose()


async def test_webhook_urls_must_be_https(sim, client):
    from kassa_max.failures import ApiPermanent
    with pytest.raises(ApiPermanent, match="HTTPS"):
        await client.subscribe("http://127.0.0.1:1/x", Secret("abcdef"))
    with pytest.raises(ApiPermanent, match="secret"):
        await client.subscribe("https://x.ru/hook", Secret("a b"))


async def test_a_crash_mid_batch_gets_the_batch_again(sim, channel):
    user = sim.world.add_user("Анна")
    chat = sim.world.start(user.user_id)
    sim.world.say(chat.chat_id, user.user_id, "/report")
    agen = channel.updates()
    assert (await next_incoming(agen)).text == "/start"
    await agen.aclose()  # the process dies before taking "/report": nothing was committed
    again = channel.updates()
    assert [(await next_incoming(again)).text for _ in range(2)] == ["/start", "/report"]
    third = anyio.create_task_group()
    async with third:  # asking for more sends the marker: now both are committed
        third.start_soon(lambda: next_incoming(again, 1.5))
        await anyio.sleep(0.3)
        third.cancel_scope.cancel()
    updates, _ = sim.world.poll(None, 100, None)
    assert updates == []
    await again.aclose()
