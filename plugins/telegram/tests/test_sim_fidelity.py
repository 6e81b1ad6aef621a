"""The simulator held against tdlib's telegram-bot-api (``telegram-bot-api/Client.cpp``) and
tdlib's HTML parser (``td/telegram/MessageEntity.cpp``): each test is one audited rule, and
would fail against the simulator as it was before the audit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from aiogram.types import ChatMemberBanned, Update
from kassa_telegram.sim import TelegramSim

pytestmark = pytest.mark.anyio


async def call(sim: TelegramSim, method: str, **params: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{sim.base_url}/bot{sim.token}/{method}", json=params)


async def send(sim: TelegramSim, chat: int, text: str, **params: Any) -> dict[str, Any]:
    r = await call(sim, "sendMessage", chat_id=chat, text=text, parse_mode="HTML", **params)
    return dict(r.json())


# --- chat member updates --------------------------------------------------------------------
async def test_a_kicked_bot_member_carries_until_date_and_parses_in_aiogram(
        sim: TelegramSim) -> None:
    # JsonChatMember: case chatMemberStatusBanned -> object("until_date", banned_until_date_)
    anna = sim.create_user("Анна")
    group = sim.create_chat("R1", members=[anna.id])
    sim.block_bot(anna.id)
    sim.kick_bot(group.id, by=anna.id)
    r = await call(sim, "getUpdates")
    blocked, kicked = r.json()["result"]
    for upd in (blocked, kicked):
        new = upd["my_chat_member"]["new_chat_member"]
        assert (new["status"], new["until_date"]) == ("kicked", 0)
        assert "until_date" not in upd["my_chat_member"]["old_chat_member"]  # a plain member
        parsed = Update.model_validate(upd)  # aiogram requires until_date on ChatMemberBanned
        assert parsed.my_chat_member is not None
        assert isinstance(parsed.my_chat_member.new_chat_member, ChatMemberBanned)


# --- getUpdates -------------------------------------------------------------------------------
@pytest.mark.parametrize(("limit", "got"), [(0, 1), (-5, 1), ("abc", 1), ("2x", 2),
                                            (500, 100), (None, 100)])
async def test_limit_is_clamped_as_get_integer_arg_does(sim: TelegramSim, limit: Any,
                                                        got: int) -> None:
    # get_integer_arg(query, "limit", 100, 1, 100): to_integer, then clamp(value, 1, 100)
    u = sim.create_user("Анна")
    for i in range(120):
        sim.user_says(u.id, u.id, f"m{i}")
    params = {} if limit is None else {"limit": limit}
    r = await call(sim, "getUpdates", **params)
    assert r.status_code == 200 and len(r.json()["result"]) == got


async def test_after_delete_webhook_a_second_poller_conflicts_again(sim: TelegramSim) -> None:
    sim.updates.conflict_delay = 0.1
    assert (await call(sim, "setWebhook", url="http://127.0.0.1:9/")).json()["description"] \
        == "Webhook was set"
    r = await call(sim, "getUpdates")
    assert r.status_code == 409 and "while webhook is active" in r.json()["description"]
    assert (await call(sim, "deleteWebhook")).json() == {
        "ok": True, "result": True, "description": "Webhook was deleted"}
    assert (await call(sim, "deleteWebhook")).json()["description"] == \
        "Webhook is already deleted"
    first = asyncio.create_task(call(sim, "getUpdates", offset=5, timeout=20))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(call(sim, "getUpdates", offset=6, timeout=20))
    r = await asyncio.wait_for(first, 10)
    assert r.status_code == 409 and r.json()["description"] == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running")
    await sim.stop()  # releases the second, held poll
    await second


async def test_set_webhook_terminates_a_held_poll(sim: TelegramSim) -> None:
    held = asyncio.create_task(call(sim, "getUpdates", timeout=20))
    await asyncio.sleep(0.2)
    await call(sim, "setWebhook", url="http://127.0.0.1:9/")
    r = await asyncio.wait_for(held, 10)
    assert r.status_code == 409
    assert r.json()["description"] == "Conflict: terminated by setWebhook request"


async def test_only_a_poll_that_would_wait_terminates_the_one_waiting(sim: TelegramSim) -> None:
    # do_get_updates calls abort_long_poll only when timeout != 0 and nothing is queued
    held = asyncio.create_task(call(sim, "getUpdates", offset=10, timeout=20))
    await asyncio.sleep(0.2)
    assert (await call(sim, "getUpdates", offset=11)).json()["result"] == []  # short poll
    await asyncio.sleep(0.1)
    assert not held.done()
    u = sim.create_user("Анна")
    sim.user_says(u.id, u.id, "hi")
    r = await asyncio.wait_for(held, 10)
    assert [x["message"]["text"] for x in r.json()["result"]] == ["hi"]


async def test_conflicts_are_answered_at_most_once_per_delay(sim: TelegramSim) -> None:
    # fail_query_conflict: one 409 at once, the next within 3 s only after 3 s
    sim.updates.conflict_delay = 0.5
    await call(sim, "setWebhook", url="http://127.0.0.1:9/")
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert (await call(sim, "getUpdates")).status_code == 409
    assert loop.time() - t0 < 0.4
    assert (await call(sim, "getUpdates")).status_code == 409
    assert loop.time() - t0 >= 0.5


async def test_a_poller_spinning_on_one_offset_is_slowed(sim: TelegramSim) -> None:
    # same offset within 0.5 s -> limit 1; within 3 s and timeout < 3 -> timeout 3
    u = sim.create_user("Анна")
    for i in range(3):
        sim.user_says(u.id, u.id, f"m{i}")
    assert len((await call(sim, "getUpdates", offset=0)).json()["result"]) == 3
    assert len((await call(sim, "getUpdates", offset=0)).json()["result"]) == 1
    sim.updates.items.clear()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    late = asyncio.create_task(call(sim, "getUpdates", offset=0, timeout=0))
    await asyncio.sleep(0.5)
    assert not late.done()  # a short poll on the same offset waits as a long one
    sim.user_says(u.id, u.id, "later")
    r = await asyncio.wait_for(late, 5)
    assert [x["message"]["text"] for x in r.json()["result"]] == ["later"]
    assert loop.time() - t0 < 3


# --- text and HTML ------------------------------------------------------------------------------
async def test_empty_and_blank_texts_have_their_own_errors(sim: TelegramSim) -> None:
    u = sim.create_user("Анна")
    assert (await send(sim, u.id, ""))["description"] == "Bad Request: message text is empty"
    # fix_formatted_text: "Message must be non-empty" (aiogram users match on this text)
    for blank in ("<b> </b>", " \n ", "<i></i>"):
        assert (await send(sim, u.id, blank))["description"] == \
            "Bad Request: message must be non-empty"


async def test_leading_and_trailing_white_space_is_trimmed(sim: TelegramSim) -> None:
    u = sim.create_user("Анна")
    m = (await send(sim, u.id, " \n<b> Итог</b>: 5 \n"))["result"]
    assert m["text"] == "Итог: 5"
    assert m["entities"] == [{"offset": 0, "length": 4, "type": "bold"}]


@pytest.mark.parametrize(("html", "error"), [
    # tag names are lower-cased in the error (to_lower_inplace(tag_name))
    ("<UL>x</UL>", 'Unsupported start tag "ul" at byte offset 0'),
    # the name runs to a space or ">": a real log, ilavir/aiogram-gmail_verification_bot
    # TELEGRAM_HTML_FIX.md ("Unsupported start tag "kahn@inbox.ru" at byte offset 64")
    ("Письмо от Иван Петров <kahn@inbox.ru>: новое", 'Unsupported start tag '
     '"kahn@inbox.ru" at byte offset 40'),
    ("<b/>x", 'Unsupported start tag "b/" at byte offset 0'),
    # the end tag is compared as written
    ("<b>x</B>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</B>"'),
    # errors come in text order: the bad end tag is met before the bad start tag
    ("<b>x</i> <ul>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<b", "Unclosed start tag at byte offset 0"),
])
async def test_html_parse_errors_read_as_tdlib_writes_them(sim: TelegramSim, html: str,
                                                           error: str) -> None:
    u = sim.create_user("Анна")
    body = await send(sim, u.id, html)
    assert (body["error_code"], body["description"]) == (
        400, f"Bad Request: can't parse entities: {error}")


async def test_an_empty_end_tag_closes_the_open_one(sim: TelegramSim) -> None:
    # if (!end_tag_name.empty() && end_tag_name != tag_name) -> "</>" matches any
    u = sim.create_user("Анна")
    m = (await send(sim, u.id, "<B>жирный</> текст"))["result"]
    assert (m["text"], m["entities"]) == ("жирный текст",
                                          [{"offset": 0, "length": 6, "type": "bold"}])


# --- deleteMessage ("Bots can delete outgoing messages in private chats, groups, and
# supergroups. Bots can delete incoming messages in private chats. If the bot is an
# administrator of a group, it can delete any message there." core.telegram.org/bots/api) ---
async def test_delete_message_follows_the_bot_api_rules(sim: TelegramSim) -> None:
    anna = sim.create_user("Анна")
    group = sim.create_chat("R1", members=[anna.id])
    incoming = sim.user_says(anna.id, anna.id, "привет")
    r = await call(sim, "deleteMessage", chat_id=anna.id, message_id=incoming)
    assert r.json() == {"ok": True, "result": True}  # incoming, private chat
    theirs = sim.user_says(group.id, anna.id, "/report")
    r = await call(sim, "deleteMessage", chat_id=group.id, message_id=theirs)
    assert r.json()["description"] == "Bad Request: message can't be deleted"
    async with httpx.AsyncClient(base_url=sim.base_url) as http:
        await http.post(f"/_sim/chats/{group.id}/admin", json={"admin": True})
    r = await call(sim, "deleteMessage", chat_id=group.id, message_id=theirs)
    assert r.json()["result"] is True
    own = (await send(sim, group.id, "x"))["result"]["message_id"]
    sim.advance(48 * 3600 + 1)
    r = await call(sim, "deleteMessage", chat_id=group.id, message_id=own)
    assert r.json()["description"] == "Bad Request: message can't be deleted"


# --- members joining and leaving -------------------------------------------------------------
async def test_members_joining_and_leaving_as_tdlib_reports_them(sim: TelegramSim) -> None:
    anna = sim.create_user("Анна")
    boris = sim.create_user("Борис")
    group = sim.create_chat("R1", members=[anna.id])
    sim.add_member(group.id, boris.id, by=anna.id)
    [joined] = (await call(sim, "getUpdates")).json()["result"]
    msg = joined["message"]  # a service message passes privacy mode
    assert msg["new_chat_members"] == [msg["new_chat_member"]] == [msg["new_chat_participant"]]
    assert msg["new_chat_member"]["id"] == boris.id
    service = Update.model_validate(joined).message
    assert service is not None and service.new_chat_members is not None
    assert service.new_chat_members[0].id == boris.id
    # chat_member is not in the default allowed_updates, and needs an admin bot
    sim.chat(group.id).bot_admin = True
    await call(sim, "getUpdates", offset=joined["update_id"] + 1,
               allowed_updates=["message", "chat_member"])
    sim.remove_member(group.id, boris.id, by=anna.id, ban=True)
    sim.advance(4)  # the same offset again at once would be answered one update (anti-spin)
    left, banned = (await call(sim, "getUpdates", offset=joined["update_id"] + 1)
                    ).json()["result"]
    assert left["message"]["left_chat_member"]["id"] == boris.id
    change = banned["chat_member"]
    assert (change["old_chat_member"]["status"], change["new_chat_member"]["status"],
            change["new_chat_member"]["until_date"]) == ("member", "kicked", 0)
    member = Update.model_validate(banned).chat_member
    assert member is not None and isinstance(member.new_chat_member, ChatMemberBanned)


async def test_the_bot_added_back_to_a_group(sim: TelegramSim) -> None:
    anna = sim.create_user("Анна")
    group = sim.create_chat("R1", members=[anna.id])
    sim.kick_bot(group.id, by=anna.id)
    sim.add_bot(group.id, by=anna.id)
    _kicked, added, service = (await call(sim, "getUpdates")).json()["result"]
    assert added["my_chat_member"]["old_chat_member"]["status"] == "kicked"
    assert added["my_chat_member"]["new_chat_member"] == {"user": sim.bot.wire(),
                                                          "status": "member"}
    assert service["message"]["new_chat_member"]["id"] == sim.bot.id
    assert (await send(sim, group.id, "снова здесь"))["ok"] is True


async def test_a_link_without_href_links_its_own_text(sim: TelegramSim) -> None:
    # parse_html: if (url.empty()) url = result.substr(entity_begin_pos); a URL check_url
    # refuses gives no entity (the text stays)
    u = sim.create_user("Анна")
    m = (await send(sim, u.id, "см. <a>https://kassa.example.ru/r1</a> и <a href=\"\"> </a>!"
                    ))["result"]
    assert m["entities"] == [{"offset": 4, "length": 27, "type": "text_link",
                              "url": "https://kassa.example.ru/r1"}]
    m = (await send(sim, u.id, '<a href="not a url">тут</a>'))["result"]
    assert (m["text"], m.get("entities")) == ("тут", None)
