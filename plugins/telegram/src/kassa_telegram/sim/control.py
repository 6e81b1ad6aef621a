"""The HTTP control API under ``/_sim/``: the same operations as the Python methods."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kassa_telegram.sim.world import World

Route = tuple[str, re.Pattern[str], Callable[..., Any]]


def _user(u: Any) -> dict[str, Any]:
    return {"id": u.id, "first_name": u.first_name, "username": u.username,
            "started": u.started, "blocked": u.blocked}


def _chat(c: Any) -> dict[str, Any]:
    return {"id": c.id, "type": c.type, "title": c.title, "is_forum": c.is_forum,
            "members": sorted(c.members), "bot_present": c.bot_present,
            "bot_admin": c.bot_admin,
            "migrated_to": c.migrated_to, "topics": {str(k): v for k, v in c.topics.items()}}


def _state(w: World, b: dict[str, Any]) -> Any:
    return {"bot": {"id": w.bot.id, "username": w.bot.username},
            "users": [_user(u) for u in w.users.values()],
            "chats": [_chat(c) for c in w.chats.values()],
            "pending_updates": w.updates.pending(), "rate_limits": w.limiter.enabled}


def _rate_limits(w: World, b: dict[str, Any]) -> Any:
    w.limiter.enabled = bool(b["enabled"])
    return {}


def _admin(w: World, b: dict[str, Any], chat_id: int) -> Any:
    w.chat(chat_id).bot_admin = bool(b.get("admin", True))
    return {}


def _routes() -> list[Route]:
    def r(method: str, pattern: str, fn: Callable[..., Any]) -> Route:
        return method, re.compile(f"/_sim/{pattern}"), fn

    return [
        r("GET", "state", _state),
        r("POST", "users", lambda w, b: _user(w.create_user(
            b["first_name"], last_name=b.get("last_name", ""), username=b.get("username", ""),
            started=b.get("started", True), phone=b.get("phone", "")))),
        r("POST", "chats", lambda w, b: _chat(w.create_chat(
            b["title"], type=b.get("type", "supergroup"), members=b.get("members", []),
            forum=b.get("forum", False)))),
        r("POST", r"chats/(-?\d+)/topics", lambda w, b, c: {
            "thread_id": w.add_topic(c, b["name"])}),
        r("POST", r"chats/(-?\d+)/messages", lambda w, b, c: {"message_id": w.user_says(
            c, b["user_id"], b["text"], thread_id=b.get("thread_id"),
            reply_to=b.get("reply_to"))}),
        r("POST", r"chats/(-?\d+)/press", lambda w, b, c: {"callback_id": w.press_button(
            c, b["message_id"], b["user_id"], data=b.get("data"), text=b.get("text"))}),
        r("POST", r"chats/(-?\d+)/kick", lambda w, b, c: w.kick_bot(c, b.get("by")) or {}),
        r("POST", r"chats/(-?\d+)/members", lambda w, b, c: w.add_member(
            c, b["user_id"], by=b.get("by")) or {}),
        r("POST", r"chats/(-?\d+)/members/remove", lambda w, b, c: w.remove_member(
            c, b["user_id"], by=b.get("by"), ban=bool(b.get("ban", False))) or {}),
        r("POST", r"chats/(-?\d+)/add_bot", lambda w, b, c: w.add_bot(c, b["by"]) or {}),
        r("POST", r"chats/(-?\d+)/admin", _admin),
        r("POST", r"chats/(-?\d+)/migrate", lambda w, b, c: {"chat_id": w.migrate_group(c)}),
        r("GET", r"chats/(-?\d+)/received", lambda w, b, c: [
            m.summary() for m in w.received(c)]),
        r("POST", r"users/(\d+)/contact", lambda w, b, u: {"message_id": w.share_contact(
            u, b.get("phone"), own=b.get("own", True))}),
        r("POST", r"users/(\d+)/block", lambda w, b, u: w.block_bot(
            u, b.get("blocked", True)) or {}),
        r("GET", r"callbacks/(\d+)", lambda w, b, q: {
            "answered": w.callbacks[str(q)].answered, "text": w.callbacks[str(q)].answer_text}),
        r("GET", "calls", lambda w, b: w.calls),
        r("POST", "faults", lambda w, b: w.faults.add(
            b["kind"], count=b.get("count", 1), method=b.get("method"),
            retry_after=b.get("retry_after", 5), delay=b.get("delay", 5.0),
            skip=b.get("skip", 0)) or {}),
        r("DELETE", "faults", lambda w, b: w.faults.clear() or {}),
        r("POST", "rate_limits", _rate_limits),
        r("POST", "clock", lambda w, b: w.advance(float(b["advance"])) or {}),
    ]


ROUTES = _routes()


async def handle(w: World, method: str, path: str, body: Any) -> tuple[int, Any]:
    if not isinstance(body, dict):
        return 400, {"error": "the body must be a JSON object"}
    for verb, pattern, fn in ROUTES:
        m = pattern.fullmatch(path)
        if m and verb == method:
            args = [int(g) for g in m.groups()]
            try:
                return 200, fn(w, body, *args)
            except KeyError as exc:
                return 400, {"error": f"missing or unknown {exc}"}
            except ValueError as exc:
                return 400, {"error": str(exc)}
    return 404, {"error": f"no control endpoint {method} {path}"}
