"""``kassa.model.Message`` -> the pieces Telegram takes: text parts, files, a keyboard."""

from __future__ import annotations

import html
import re
from typing import Any

from attrs import frozen
from kassa.errors import Permanent
from kassa.model import Attachment, Button, Message

from kassa_telegram.markup import MarkupError
from kassa_telegram.splitting import CAPTION_LIMIT, TEXT_LIMIT, split_html, visible_len

CALLBACK_DATA_MAX = 64  # bytes (Bot API InlineKeyboardButton)
_TAG = re.compile(r"<[^>]*>")


@frozen
class Piece:
    """One Bot API call: a text part, or a file with an optional caption."""

    html: str
    attachment: Attachment | None = None


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    """InlineKeyboardMarkup; Permanent for a button Telegram would refuse."""
    if not rows:
        return None
    out = []
    for row in rows:
        wire_row = []
        for b in row:
            if b.data is not None:
                size = len(b.data.encode())
                if not 1 <= size <= CALLBACK_DATA_MAX:
                    raise Permanent(f"button {b.text!r}: callback data is {size} bytes; Telegram "
                                    f"takes 1-{CALLBACK_DATA_MAX} (keep state server-side)")
                wire_row.append({"text": b.text, "callback_data": b.data})
            elif b.url:
                wire_row.append({"text": b.text, "url": b.url})
            else:
                raise Permanent(f"button {b.text!r} has neither data nor url")
        out.append(wire_row)
    return {"inline_keyboard": out}


def as_plain(text: str) -> str:
    """Markup stripped and re-escaped: the fallback when Telegram cannot parse our HTML."""
    return html.escape(html.unescape(_TAG.sub("", text)), quote=False)


def texts(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    if not text.strip():
        return []
    try:
        return split_html(text, limit)
    except MarkupError:
        return split_html(as_plain(text), limit)  # broken markup: send it readable


def pieces(message: Message) -> list[Piece]:
    """The calls that deliver ``message``, in order; buttons go on the last one."""
    files = list(message.attachments)
    if len(files) == 1 and files[0].caption is None and message.text.strip():
        try:
            fits = visible_len(message.text) <= CAPTION_LIMIT
        except MarkupError:
            fits = False
        if fits:  # one file with the text as its caption: one message, not two
            return [Piece(message.text, files[0])]
    out = [Piece(t) for t in texts(message.text)]
    for f in files:
        caption = f.caption or ""
        parts = texts(caption, CAPTION_LIMIT)
        if len(parts) > 1:  # too long for a caption: say it first, then the bare file
            out.extend(Piece(t) for t in texts(caption))
            parts = []
        out.append(Piece(parts[0] if parts else "", f))
    return out
