"""Content rules Telegram enforces on what a bot sends: text, captions, keyboards, commands."""

from __future__ import annotations

import json
import re
from typing import Any

from kassa_telegram.markup import MarkupError, parse, utf16_len
from kassa_telegram.sim.envelope import bad_request

TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX = 64  # bytes
MARKUP_MAX = 10_000  # bytes of serialized reply_markup (approximate server-side cap)
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_BLANK = " \t\r\n\v\f"


def formatted(text: str, parse_mode: str | None, *, caption: bool = False,
              required: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """(plain text, entities) as Telegram would store them, or a 400 with its description."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            plain, entities = parse(text)
        except MarkupError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    elif mode == "markdownv2":
        plain, entities = _markdown_v2(text), []
    elif mode in ("", "markdown"):
        plain, entities = text, []
    else:
        raise bad_request("unsupported parse_mode")
    plain, entities = _trim(plain, entities)
    if required and not plain:
        # tdlib: "message text is empty" is for an empty parameter; text that is blank once
        # parsed fails in fix_formatted_text with "Message must be non-empty"
        raise bad_request("message must be non-empty")
    if utf16_len(plain) > (CAPTION_MAX if caption else TEXT_MAX):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain, entities


def _trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram stores a text without its leading and trailing white space; entities move
    with the text and are cut to it (an entity left empty disappears)."""
    kept = plain.strip(_BLANK)
    if kept == plain:
        return plain, entities
    lead = utf16_len(plain[:len(plain) - len(plain.lstrip(_BLANK))])
    size = utf16_len(kept)
    out = []
    for e in entities:
        begin = max(e["offset"] - lead, 0)
        end = min(e["offset"] + e["length"] - lead, size)
        if end > begin:
            out.append({**e, "offset": begin, "length": end - begin})
    return kept, out


def _markdown_v2(text: str) -> str:
    """Only the escaping rule: a reserved character outside markup must be escaped."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch in _MDV2_RESERVED and ch not in "*_~`|[]()":
            raise bad_request(f"can't parse entities: Character '{ch}' is reserved and must "
                              f"be escaped with the preceding '\\'")
        if ch not in "*_~`|":
            out.append(ch)
        i += 1
    return "".join(out)


def reply_markup(raw: Any) -> dict[str, Any] | None:
    """Validate an InlineKeyboardMarkup (JSON text in forms, an object in JSON bodies)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if len(json.dumps(raw, ensure_ascii=False).encode()) > MARKUP_MAX:
        raise bad_request("reply markup is too long")
    rows = raw.get("inline_keyboard")
    if rows is None:
        return raw  # reply keyboards / remove_keyboard: not used by Kassa, passed through
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup "
                          "must be an Array of Arrays")
    for row in rows:
        for button in row:
            _button(button)
    return raw


def _button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Field \"text\" must be "
                          "of type String")
    actions = [k for k in ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                           "switch_inline_query_current_chat", "copy_text", "pay")
               if k in button]
    if len(actions) != 1:
        raise bad_request("can't parse inline keyboard button: Text buttons are unallowed "
                          "in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_MAX:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"(https?|tg)://", str(button["url"])):
        raise bad_request("BUTTON_URL_INVALID")


def commands(raw: Any) -> list[dict[str, str]]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse commands JSON object") from None
    if not isinstance(raw, list) or len(raw) > 100:
        raise bad_request("commands must be an Array of at most 100 BotCommand")
    for c in raw:
        if not isinstance(c, dict) or not _COMMAND.fullmatch(str(c.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(c.get("description", ""))) <= 256:
            raise bad_request("command description must be 1-256 characters")
    return raw
