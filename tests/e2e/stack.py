"""The whole chain for end-to-end tests: r_keeper simulators -> the real hub with the installed
plugins -> the Telegram and MAX simulators, plus one view of "what a chat received" that reads
the same for both messengers."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from attrs import define, field, frozen
from kassa.demo import merge, merge_sites
from kassa.hub import Hub
from kassa.model import Event
from kassa.testing import make_hub
from kassa_max.sim import MaxSim
from kassa_rkeeper.sim import RKeeperSim
from kassa_rkeeper.sim_life import every_fact, read_back
from kassa_telegram.sim import TelegramSim

PLUGINS = "rkeeper,telegram,max"
# A name that breaks HTML if anything forgets to escape it; every alert carries it.
SITE_NAMES = {"r1": "Суши <Мастер> & Co", "r2": "Роллы \"Восток\" <2>", "r3": "Вок & Ко",
              "r4": "<Пицца> 4"}
FAST = {
    # the outbox retries quickly in tests; the messengers' budgets stay as the plugins declare
    "outbox": {"base_delay": 0.05, "max_delay": 0.5, "report_settle": 0.3},
}


@frozen
class Received:
    """One bot message as the chat shows it now (edits applied)."""

    ref: str  # message id, to press its buttons
    text: str  # what a person reads: markup parsed
    html: str  # what the bot sent
    buttons: tuple[tuple[str, str], ...]  # (label, callback data), rows flattened
    files: tuple[tuple[str, str, bytes], ...]  # (photo | document, file name, content)

    def button(self, label_part: str) -> str:
        """The callback data of the first button whose label contains ``label_part``."""
        for label, data in self.buttons:
            if label_part in label:
                return data
        raise AssertionError(f"no button with {label_part!r} in {[b[0] for b in self.buttons]}")


class ChatView:
    """A chat on one messenger simulator: what people say there and what the bot sent."""

    channel: str
    chat_id: str

    def received(self) -> list[Received]:
        raise NotImplementedError

    def say(self, user: str, text: str) -> None:
        raise NotImplementedError

    def press(self, message: Received, user: str, data: str) -> None:
        raise NotImplementedError

    async def wait(self, pred: Callable[[list[Received]], bool], seconds: float = 10.0
                   ) -> list[Received]:
        """Poll the simulator (its state is in this process) until ``pred`` holds."""
        with anyio.fail_after(seconds):
            while not pred(got := self.received()):  # noqa: ASYNC110 (sim state, no event)
                await anyio.sleep(0.02)
        return got

    async def next_reply(self, after: int, seconds: float = 10.0) -> Received:
        got = await self.wait(lambda r: len(r) > after, seconds)
        return got[after]


class TelegramChat(ChatView):
    channel = "telegram"

    def __init__(self, sim: TelegramSim, chat_id: int) -> None:
        self.sim, self.chat_id = sim, str(chat_id)

    def received(self) -> list[Received]:
        out = []
        for m in self.sim.received(int(self.chat_id)):
            rows = (m.reply_markup or {}).get("inline_keyboard", [])
            buttons = tuple((b["text"], b["callback_data"]) for row in rows for b in row
                            if "callback_data" in b)
            files = ((m.file.kind, m.file.name, m.file.content),) if m.file else ()
            out.append(Received(str(m.message_id), m.text, m.html or m.text, buttons, files))
        return out

    def say(self, user: str, text: str) -> None:
        self.sim.user_says(int(self.chat_id), int(user), text)

    def press(self, message: Received, user: str, data: str) -> None:
        self.sim.press_button(int(self.chat_id), int(message.ref), int(user), data=data)


class MaxChat(ChatView):
    channel = "max"

    def __init__(self, sim: MaxSim, chat_id: int) -> None:
        self.sim, self.chat_id = sim, str(chat_id)

    def received(self) -> list[Received]:
        out = []
        for body in self.sim.received(int(self.chat_id)):
            buttons: list[tuple[str, str]] = []
            files = []
            for a in body.get("attachments", []):
                if a["type"] == "inline_keyboard":
                    buttons += [(b["text"], b["payload"]) for row in a["payload"]["buttons"]
                                for b in row if b["type"] == "callback"]
                else:
                    up = self.sim.world.uploads[a["payload"]["token"]]
                    files.append(("photo" if a["type"] == "image" else "document",
                                  up.filename, up.content))
            out.append(Received(body["mid"], body.get("text", ""),
                                body.get("raw_text") or body.get("text", ""),
                                tuple(buttons), tuple(files)))
        return out

    def say(self, user: str, text: str) -> None:
        self.sim.world.say(int(self.chat_id), int(user), text)

    def press(self, message: Received, user: str, data: str) -> None:
        self.sim.world.press(int(self.chat_id), message.ref, data, int(user))


@define
class People:
    """Who is in the chats of one messenger (ids as text, as kassa.toml has them)."""

    owner: str  # admin of every chat
    manager: str  # may use the site chat, is no admin
    stranger: str  # a member of the site group, but not allowed


@define
class Stack:
    hub: Hub
    telegram: TelegramSim
    max: MaxSim
    rkeeper: dict[str, RKeeperSim]
    chats: dict[str, ChatView]  # "telegram:r1", "telegram:owners", "max:r1", ...
    people: dict[str, People]  # by channel
    stray: dict[str, ChatView] = field(factory=dict)  # groups the hub knows nothing about

    def chat(self, channel: str, which: str) -> ChatView:
        return self.chats[f"{channel}:{which}"]

    def views(self, which: str) -> list[ChatView]:
        return [self.chats[f"{ch}:{which}"] for ch in ("telegram", "max")]

    async def on_both(self, which: str,
                      flow: Callable[[ChatView], Coroutine[Any, Any, None]]) -> None:
        """Run ``flow`` in the Telegram and the MAX chat at once (each chat has its own
        budget of a message a second, so doing them one after the other only waits)."""
        async with anyio.create_task_group() as tg:
            for view in self.views(which):
                tg.start_soon(flow, view)

    async def business_day(self, code: str = "r1", pause: float = 0.08,
                           close_after: float = 0.0) -> None:
        """The r_keeper simulator's scripted day (every fact, ending with the shift close);
        ``close_after`` seconds pass between the last check and the close, as at a real till.
        Facts read by diffing orders need a read between two changes of one dish: the script
        yields that order and ``read_back`` waits for the hub's GetOrder of it (r_keeper itself
        shows only the final quantity); ``pause`` paces the other steps.
        Returns once the hub has logged the close."""
        rest = self.rkeeper[code].rest
        waited = False
        for step in every_fact(rest):
            await anyio.sleep(pause)
            await read_back(step)  # a step whose facts need the hub's read before the next
            # the script's last change to a check is its second deleted receipt
            deleted = sum(1 for o in rest.orders for c in o.checks if c.deleted and not c.bill)
            if not waited and deleted >= 2:
                waited = True
                await anyio.sleep(close_after)
        await self.wait_events(code, "shift_closed")
        for till in self.rkeeper[code].stations:  # a till's script may be backing off (the
            with anyio.fail_after(35):            # hub's listener was not up yet): wait for it
                while till.sent < till.seq:  # noqa: ASYNC110
                    await anyio.sleep(0.05)

    async def outage(self, code: str = "r1") -> None:
        """The link to the cash server goes down until the hub notices, then comes back."""
        sim = self.rkeeper[code]
        sim.link_down()
        await self.wait_events(code, "site_offline")
        sim.link_up()
        await self.wait_events(code, "site_online")

    async def wait_events(self, code: str, kind: str, count: int = 1,
                          seconds: float = 10.0) -> list[Event]:
        with anyio.fail_after(seconds):
            while len(got := await self.hub.events(site=code, kinds=[kind])) < count:  # noqa: ASYNC110
                await anyio.sleep(0.05)
        return got

    async def delivered(self, seconds: float = 30.0) -> None:
        """Everything decided so far went out: nothing pending, nothing dead."""
        assert await self.hub.drain(timeout=seconds), await self.hub.outbox.counts()
        counts = await self.hub.outbox.counts()
        assert counts["dead"] == 0 and counts["pending"] == 0, counts


def _telegram_world(sim: TelegramSim, sites: Sequence[str]) -> tuple[People, dict[str, int],
                                                                       int]:
    owner = sim.create_user("Ольга", username="owner_olga")
    manager = sim.create_user("Игорь", username="manager_igor")
    stranger = sim.create_user("Прохожий")
    ids = [owner.id, manager.id, stranger.id]
    chats = {code: sim.create_chat(f"{code} — алерты", members=ids).id for code in sites}
    chats["owners"] = sim.create_chat("Владельцы", members=[owner.id]).id
    stray = sim.create_chat("Чужая группа", members=[stranger.id]).id
    return People(str(owner.id), str(manager.id), str(stranger.id)), chats, stray


def _max_world(sim: MaxSim, sites: Sequence[str]) -> tuple[People, dict[str, int], int]:
    w = sim.world
    owner, manager, stranger = (w.add_user("Ольга"), w.add_user("Игорь"),
                                w.add_user("Прохожий"))
    chats = {code: w.add_group(f"{code} — алерты").chat_id for code in sites}
    chats["owners"] = w.add_group("Владельцы").chat_id
    stray = w.add_group("Чужая группа").chat_id
    return (People(str(owner.user_id), str(manager.user_id), str(stranger.user_id)), chats,
            stray)


def chat_entries(channel: str, people: People, chats: Mapping[str, int],
                 site_chat: Mapping[str, Any], owners_chat: Mapping[str, Any]
                 ) -> list[dict[str, Any]]:
    out = []
    for which, chat_id in chats.items():
        base: dict[str, Any] = {"channel": channel, "chat_id": str(chat_id),
                                "admins": [people.owner]}
        if which == "owners":
            base |= {"owners": True, "users": [people.owner], **owners_chat}
        else:
            base |= {"site": which, "users": [people.owner, people.manager], **site_chat}
        out.append(base)
    return out


@asynccontextmanager
async def running(tmp_path: Path, *, sites: Sequence[str] = ("r1",), rkeeper: bool = True,
                  site_chat: Mapping[str, Any] | None = None,
                  owners_chat: Mapping[str, Any] | None = None,
                  config: Mapping[str, Any] | None = None, plugins: Sequence[Any] = (),
                  telegram_limits: bool = True, load: str = PLUGINS,
                  fragments: Sequence[Mapping[str, Any]] = ()) -> AsyncIterator[Stack]:
    """Start the simulators, build kassa.toml from their fragments (and ``fragments`` of
    simulators the caller started), run the hub on them with the plugins ``load`` names."""
    old = os.environ.get("KASSA_LOAD_PLUGINS")
    os.environ["KASSA_LOAD_PLUGINS"] = load
    async with AsyncExitStack() as stack:
        stack.callback(_restore_env, old)
        merged: dict[str, Any] = {"hub": {"locale": "ru"}, **FAST}
        rks: dict[str, RKeeperSim] = {}
        for i, code in enumerate(sites):
            if rkeeper:
                sim = RKeeperSim(code, rest_code=f"1999900{i + 1:02d}", seed=i + 1)
                fragment = dict(await sim.start())
                stack.push_async_callback(sim.stop)
                fragment["sites"][0]["rkeeper"] |= {"poll_interval": 0.1, "timeout": 0.5,
                                                    "offline_after": 0.5}
                rks[code] = sim
                merged = merge(merged, fragment)
            merged = merge(merged, {"sites": [{"code": code, "name": SITE_NAMES[code],
                                               "timezone": "Europe/Moscow"}]})
        tg = TelegramSim(rate_limits=telegram_limits)
        tg_people, tg_chats, tg_stray = _telegram_world(tg, sites)
        await tg.start()
        stack.push_async_callback(tg.stop)
        mx = MaxSim()
        mx_people, mx_chats, mx_stray = _max_world(mx, sites)
        mx.world.not_ready_sends = 1  # uploads are "still processing" once, as MAX does
        await mx.start()
        stack.push_async_callback(mx.stop)
        merged = merge(merged, {
            "telegram": {"token": tg.token, "base_url": tg.base_url, "poll_timeout": 1,
                         "request_timeout": 2.0},
            "max": {"token": mx.token, "base_url": mx.base_url, "poll_timeout": 1,
                    "timeout": 2.0, "upload_delay": 0.02},
            "chats": chat_entries("telegram", tg_people, tg_chats, site_chat or {},
                                  owners_chat or {})
            + chat_entries("max", mx_people, mx_chats, site_chat or {}, owners_chat or {})})
        for extra in fragments:
            merged = merge(merged, extra)
        merged = merge(merged, config or {})
        hub = await stack.enter_async_context(
            make_hub(merge_sites(merged), tmp_path, entry_points=True, plugins=plugins))
        views: dict[str, ChatView] = {f"telegram:{k}": TelegramChat(tg, v)
                                      for k, v in tg_chats.items()}
        views |= {f"max:{k}": MaxChat(mx, v) for k, v in mx_chats.items()}
        yield Stack(hub=hub, telegram=tg, max=mx, rkeeper=rks, chats=views,
                    people={"telegram": tg_people, "max": mx_people},
                    stray={"telegram": TelegramChat(tg, tg_stray), "max": MaxChat(mx, mx_stray)})


def _restore_env(old: str | None) -> None:
    if old is None:
        os.environ.pop("KASSA_LOAD_PLUGINS", None)
    else:
        os.environ["KASSA_LOAD_PLUGINS"] = old
