"""The simulator's control API over HTTP (``/_sim/...``): the same actions as the Python
methods of ``MaxSim.world``, for the demo, the console or a person with curl.

POST /_sim/users            {"first_name"}                       -> user
POST /_sim/groups           {"title", "admin"?, "read_all"?}     -> chat
POST /_sim/admin            {"chat_id", "admin", "read_all"?}
POST /_sim/remove_bot       {"chat_id"}
POST /_sim/start            {"user_id", "payload"?}              -> dialog chat
POST /_sim/stop             {"user_id"}
POST /_sim/say              {"chat_id", "user_id", "text"}        -> message
POST /_sim/press            {"chat_id", "mid", "payload", "user_id"} -> {"callback_id"}
POST /_sim/contact          {"chat_id", "user_id", "phone"}       -> message
POST /_sim/faults           {"count"?, "kind", "path"?, "hold"?, "after"?}
POST /_sim/rate_limit       {"rps": n|null, "retry_after"?: s|null}
POST /_sim/clock            {"advance_s"}
GET  /_sim/received?chat_id=  -> message bodies the bot sent there
GET  /_sim/state            -> chats, users, calls, notifications
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kassa_max.http_server import Request, Response
from kassa_max.sim_world import SimError

if TYPE_CHECKING:
    from kassa_max.sim import MaxSim


async def control(sim: MaxSim, req: Request) -> Response:
    action = req.path[len("/_sim/"):]
    try:
        body: dict[str, Any] = (req.json() or {}) if req.method == "POST" else dict(req.query)
        return Response.of_json(_do(sim, action, req.method, body))
    except SimError as err:
        return Response.of_json(err.body(), err.status)
    except (KeyError, ValueError, TypeError) as exc:
        return Response.of_json({"code": "sim.bad_request", "message": str(exc)}, 400)


def _do(sim: MaxSim, action: str, method: str, b: dict[str, Any]) -> Any:
    w = sim.world
    now = w.now_ms()
    if method == "GET" and action == "received":
        return {"messages": sim.received(int(b["chat_id"]))}
    if method == "GET" and action == "state":
        return {"chats": [c.wire(now) | {"bot_admin": c.bot_admin, "read_all": c.read_all,
                                         "bot_member": c.bot_member} for c in w.chats.values()],
                "users": [u.wire(now) for u in w.users.values()],
                "calls": [list(c) for c in sim.calls[-200:]],
                "notifications": w.notifications[-200:]}
    if method != "POST":
        raise ValueError(f"{method} /_sim/{action} is not a control action")
    if action == "users":
        return w.add_user(b["first_name"], b.get("last_name", ""), b.get("username")).wire(now)
    if action == "groups":
        chat = w.add_group(b["title"], admin=b.get("admin", True),
                           read_all=b.get("read_all", True))
        return chat.wire(now)
    if action == "admin":
        w.set_admin(int(b["chat_id"]), bool(b["admin"]), bool(b.get("read_all", True)))
        return {"success": True}
    if action == "remove_bot":
        w.remove_bot(int(b["chat_id"]))
        return {"success": True}
    if action == "start":
        return w.start(int(b["user_id"]), b.get("payload")).wire(now)
    if action == "stop":
        w.stop(int(b["user_id"]))
        return {"success": True}
    if action == "say":
        return w.say(int(b["chat_id"]), int(b["user_id"]), str(b["text"]))
    if action == "press":
        return {"callback_id": w.press(int(b["chat_id"]), b["mid"], b["payload"],
                                       int(b["user_id"]))}
    if action == "contact":
        return w.share_contact(int(b["chat_id"]), int(b["user_id"]), str(b["phone"]))
    if action == "faults":
        sim.fail_next(int(b.get("count", 1)), str(b["kind"]), path=b.get("path"),
                      hold=float(b.get("hold", 5.0)), after=int(b.get("after", 0)))
        return {"success": True}
    if action == "rate_limit":
        sim.rate_limit(b.get("rps"), retry_after=b.get("retry_after", 1.0))
        return {"success": True}
    if action == "clock":
        w.clock_offset_ms += int(float(b["advance_s"]) * 1000)
        return {"success": True}
    raise ValueError(f"unknown control action /_sim/{action}")
