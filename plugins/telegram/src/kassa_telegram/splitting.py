"""Split HTML text into parts Telegram accepts, never cutting a tag or an entity.

The budget counts visible text in UTF-16 code units (the conservative reading of the 4096
limit). Cuts prefer a paragraph break, then a line break, then a space; tags open at a cut
are closed at the end of the part and reopened at the start of the next.
"""

from __future__ import annotations

from attrs import frozen

from kassa_telegram.markup import Token, atoms, tokens, unescape, utf16_len

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


@frozen
class _Item:
    raw: str
    units: int = 0  # visible UTF-16 units (0 for tags)
    tag: Token | None = None
    visible: str = ""


def visible_len(html: str) -> int:
    """Visible length of HTML text in UTF-16 units (tags excluded, entities decoded)."""
    return sum(utf16_len(unescape(t.raw)) for t in tokens(html) if t.kind == "text")


def split_html(html: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of ``html`` whose visible text fits ``limit`` each; every part is balanced HTML."""
    items = _items(html)
    if sum(it.units for it in items) <= limit:
        return [html]
    stacks = _stacks(items)  # stacks[i]: tags open before items[i]
    parts: list[str] = []
    start = 0
    while start < len(items):
        cut = _cut(items, start, limit)
        body = "".join(it.raw for it in items[start:cut])
        reopen = "".join(t.raw for t in stacks[start])
        close = "".join(f"</{t.name}>" for t in reversed(stacks[cut]))
        parts.append(reopen + body + close)
        start = cut
    return parts


def _items(html: str) -> list[_Item]:
    items: list[_Item] = []
    for tok in tokens(html):
        if tok.kind == "text":
            items.extend(_Item(raw, utf16_len(vis), None, vis) for raw, vis in atoms(tok.raw))
        else:
            items.append(_Item(tok.raw, 0, tok))
    return items


def _stacks(items: list[_Item]) -> list[tuple[Token, ...]]:
    stacks: list[tuple[Token, ...]] = [()]
    stack: tuple[Token, ...] = ()
    for it in items:
        if it.tag is not None:
            if it.tag.kind == "start":
                stack = (*stack, it.tag)
            elif stack:
                stack = stack[:-1]
        stacks.append(stack)
    return stacks


def _cut(items: list[_Item], start: int, limit: int) -> int:
    """Index where the part beginning at ``start`` ends (exclusive)."""
    units = 0
    best: dict[int, int] = {}  # priority -> cut index (the latest seen)
    i = start
    while i < len(items):
        it = items[i]
        if units + it.units > limit:
            break
        units += it.units
        i += 1
        if it.visible in ("\n", " ") and units >= limit // 2:
            prio = 1 if it.visible == " " else 2
            if prio == 2 and i - start >= 2 and items[i - 2].visible == "\n":
                prio = 3
            best[prio] = i
    else:
        return len(items)
    cut = best[max(best)] if best else i
    if cut == start:  # a single atom wider than the limit cannot happen (limit >= 2)
        cut = start + 1
    while cut > start + 1 and _opens(items[cut - 1]):
        cut -= 1  # leave a just-opened tag for the next part
    return cut


def _opens(item: _Item) -> bool:
    return item.tag is not None and item.tag.kind == "start"
