"""Telegram's HTML parse mode: the tag set, entity decoding, UTF-16 lengths.

One tokenizer serves both sides: the client splits long texts with it, and the simulator
parses with it the way Telegram does (tdlib rules: unknown tags are an error, unknown named
entities stay literal text, offsets of the resulting entities count UTF-16 code units).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from attrs import frozen

# tag -> entity type (docs: core.telegram.org/bots/api#html-style)
TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ATOM = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);|.", re.S)
_SPACE = " \t\r\n\v\f"  # td::is_space (and the end of the text, as its NUL)
_ATTR = re.compile(r"[a-zA-Z0-9_-]+")


class MarkupError(ValueError):
    """Text Telegram would refuse; ``str()`` is Telegram's own description."""


@frozen
class Token:
    kind: str  # text | start | end
    raw: str
    name: str = ""  # tag name (lower case)
    attrs: tuple[tuple[str, str], ...] = ()

    def attr(self, key: str) -> str | None:
        return next((v for k, v in self.attrs if k == key), None)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (what Telegram's offsets and our budget count)."""
    return len(text.encode("utf-16-le")) // 2


def atoms(raw: str) -> Iterator[tuple[str, str]]:
    """(raw, visible) pairs of a text run: a character or one whole entity such as ``&lt;``.
    Cutting between atoms never breaks an entity."""
    for m in _ATOM.finditer(raw):
        yield m.group(0), _decode_atom(m)


def _decode_atom(m: re.Match[str]) -> str:
    ref = m.group(1)
    if ref is None:
        return m.group(0)
    if ref.startswith(("#x", "#X")):
        code = int(ref[2:], 16)
    elif ref.startswith("#"):
        code = int(ref[1:])
    elif ref in NAMED_ENTITIES:
        return NAMED_ENTITIES[ref]
    else:
        return m.group(0)  # tdlib keeps unknown named entities as literal text
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return m.group(0)
    return chr(code)


def unescape(raw: str) -> str:
    return "".join(v for _, v in atoms(raw))


def tokens(html: str) -> list[Token]:
    """Split HTML into text runs and tags; raise MarkupError the way Telegram does."""
    return list(iter_tokens(html))


def iter_tokens(html: str) -> Iterator[Token]:
    """As ``tokens``, lazily: a parser meets the errors in text order, as tdlib does."""
    i, n, text_from = 0, len(html), 0
    while i < n:
        if html[i] != "<":
            i += 1
            continue
        if i > text_from:
            yield Token("text", html[text_from:i])
        start = i
        if html.startswith("</", i):
            j = _name_end(html, i + 2)
            name = html[i + 2:j]  # tdlib compares the end tag's name as written
            while j < n and html[j] in _SPACE:
                j += 1
            if j >= n or html[j] != ">":
                raise MarkupError(f"Unclosed end tag at byte offset {_byte(html, start)}")
            yield Token("end", html[start:j + 1], name)
            i = text_from = j + 1
            continue
        j = _name_end(html, i + 1)
        if j >= n:
            raise MarkupError(f"Unclosed start tag at byte offset {_byte(html, start)}")
        # the name runs to a space or ">" and is lower-cased, also in the error text
        name = html[i + 1:j].lower()
        if name not in TAGS:
            raise MarkupError(f'Unsupported start tag "{name}" at byte offset '
                              f"{_byte(html, start)}")
        attrs, j = _attributes(html, j, start)
        token = Token("start", html[start:j], name, attrs)
        _check_start(token, html, start)
        yield token
        i = text_from = j
    if n > text_from:
        yield Token("text", html[text_from:])


def _name_end(html: str, i: int) -> int:
    while i < len(html) and html[i] not in _SPACE and html[i] != ">":
        i += 1
    return i


def _attributes(html: str, i: int, start: int) -> tuple[tuple[tuple[str, str], ...], int]:
    n = len(html)
    attrs: list[tuple[str, str]] = []
    while True:
        while i < n and html[i] in " \t\r\n/":
            i += 1
        if i >= n:
            raise MarkupError(f"Unclosed start tag at byte offset {_byte(html, start)}")
        if html[i] == ">":
            return tuple(attrs), i + 1
        m = _ATTR.match(html, i)
        if m is None:
            raise MarkupError(f"Unclosed start tag at byte offset {_byte(html, start)}")
        key, i = m.group(0).lower(), m.end()
        if i < n and html[i] == "=":
            i += 1
            if i < n and html[i] in "\"'":
                end = html.find(html[i], i + 1)
                if end < 0:
                    raise MarkupError(f"Unclosed start tag at byte offset {_byte(html, start)}")
                value, i = html[i + 1:end], end + 1
            else:
                m2 = re.compile(r"[^\s>]*").match(html, i)
                assert m2 is not None
                value, i = m2.group(0), m2.end()
            attrs.append((key, unescape(value)))
        else:
            attrs.append((key, ""))  # <blockquote expandable>


def _check_start(token: Token, html: str, start: int) -> None:
    if token.name == "span" and token.attr("class") != "tg-spoiler":
        raise MarkupError(f'Tag "span" must have class "tg-spoiler" at byte offset '
                          f"{_byte(html, start)}")
    if token.name == "tg-emoji" and not (token.attr("emoji-id") or "").isdigit():
        raise MarkupError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                          f"{_byte(html, start)}")


def _byte(html: str, index: int) -> int:
    return len(html[:index].encode("utf-8"))


def parse(html: str) -> tuple[str, list[dict[str, Any]]]:
    """HTML -> (plain text, MessageEntity dicts with UTF-16 offsets), as Telegram does."""
    plain: list[str] = []
    pos = 0  # UTF-16 units so far
    stack: list[tuple[Token, int]] = []
    entities: list[dict[str, Any]] = []
    offset = 0  # index into html, for error offsets
    for tok in iter_tokens(html):
        if tok.kind == "text":
            visible = unescape(tok.raw)
            plain.append(visible)
            pos += utf16_len(visible)
        elif tok.kind == "start":
            stack.append((tok, pos))
        else:
            if not stack:
                raise MarkupError(f"Unexpected end tag at byte offset {_byte(html, offset)}")
            opened, begin = stack.pop()
            if tok.name and opened.name != tok.name:  # "</>" closes whatever is open
                raise MarkupError(
                    f"Unmatched end tag at byte offset {_byte(html, offset)}, expected "
                    f'"</{opened.name}>", found "</{tok.name}>"')
            entity = _entity(opened, begin, pos, stack, functools.partial(_text_from, plain, begin))
            if entity is not None and not _covered(entity, entities):
                entities.append(entity)
        offset += len(tok.raw)
    if stack:
        raise MarkupError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(plain), entities


def _covered(entity: dict[str, Any], entities: list[dict[str, Any]]) -> bool:
    # <pre><code class="language-x"> is one pre entity, already made by the inner code tag
    return entity["type"] == "pre" and any(
        e["type"] == "pre" and e["offset"] == entity["offset"] and e["length"] == entity["length"]
        for e in entities)


def _text_from(plain: list[str], begin16: int) -> str:
    """The visible text from UTF-16 offset ``begin16`` to the end so far (one pass: a
    character beyond the BMP is two units)."""
    text = "".join(plain)
    units = 0
    for i, ch in enumerate(text):
        if units >= begin16:
            return text[i:]
        units += 2 if ord(ch) > 0xFFFF else 1
    return ""


def _entity(tok: Token, begin: int, end: int, outer: list[tuple[Token, int]],
            inner: Callable[[], str]) -> dict[str, Any] | None:
    if end <= begin:
        return None  # Telegram drops empty entities
    kind = TAGS[tok.name]
    if tok.name == "blockquote" and tok.attr("expandable") is not None:
        kind = "expandable_blockquote"
    entity: dict[str, Any] = {"offset": begin, "length": end - begin, "type": kind}
    if kind == "text_link":
        # tdlib: <a> without href links its own text; a URL check_url refuses makes no entity
        url = tok.attr("href") or inner()  # the visible text only when it is needed
        if not url.strip() or any(c.isspace() for c in url.strip()):
            return None
        entity["url"] = url.strip()
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = tok.attr("emoji-id")
    elif kind == "code" and outer and outer[-1][0].name == "pre":
        lang = (tok.attr("class") or "").removeprefix("language-")
        if lang:
            entity = {"offset": begin, "length": end - begin, "type": "pre", "language": lang}
    return entity
