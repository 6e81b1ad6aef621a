"""Split an HTML message into parts that fit MAX's text limit without breaking a tag.

The limit is counted on the raw text we send (tags included), which is what the API's
``maxLength`` applies to and is never less than the visible length, so it is always safe.
Cuts prefer a paragraph, then a line, then a word boundary; tags open at a cut are closed at
the end of the part and reopened at the start of the next; entities (``&amp;``) stay whole.
"""

from __future__ import annotations

import re

_ATOM = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]{1,32};|.", re.DOTALL)
_TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)[^>]*?(/?)\s*>")
_VOID = {"br", "hr", "img"}
_LABEL_ROOM = 12  # "\n(99/99)" and some slack


def split_html(text: str, limit: int) -> list[str]:
    """Parts of ``text``, each at most ``limit`` characters; numbered "(k/n)" when several."""
    if len(text) <= limit:
        return [text]
    parts = _split(_ATOM.findall(text), limit - _LABEL_ROOM)
    n = len(parts)
    return [f"{p}\n({k}/{n})" for k, p in enumerate(parts, 1)]


Stack = tuple[tuple[str, str], ...]  # (tag name, raw opening tag)


def _apply(stack: Stack, atom: str) -> Stack:
    m = _TAG.fullmatch(atom)
    if not m:
        return stack
    closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
    if closing:
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == name:
                return stack[:k]
        return stack
    if self_closing or name in _VOID:
        return stack
    return (*stack, (name, atom))


def _closers(stack: Stack) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _split(atoms: list[str], limit: int) -> list[str]:
    parts: list[str] = []
    stack: Stack = ()
    i = 0
    while i < len(atoms):
        prefix = "".join(raw for _, raw in stack)
        body: list[str] = []
        size = len(prefix)
        cur = stack
        # last cut candidate per kind: kind -> (atoms taken, stack there)
        cuts: dict[int, tuple[int, Stack]] = {}
        j = i
        while j < len(atoms):
            atom = atoms[j]
            nxt = _apply(cur, atom)
            if size + len(atom) + len(_closers(nxt)) > limit:
                break
            body.append(atom)
            size += len(atom)
            cur = nxt
            j += 1
            if atom == "\n":
                cuts[2 if len(body) > 1 and body[-2] == "\n" else 1] = (len(body), cur)
            elif atom == " ":
                cuts[0] = (len(body), cur)
        if j == len(atoms):
            parts.append(prefix + "".join(body) + _closers(cur))
            break
        if not body:
            raise ValueError(f"cannot split: a tag or entity is longer than {limit} characters")
        taken, at = len(body), cur
        for kind in (2, 1, 0):
            if kind in cuts and cuts[kind][0] * 2 >= len(body):
                taken, at = cuts[kind]
                break
        kept = body[:taken]
        while kept and kept[-1] in (" ", "\n"):
            kept.pop()
        parts.append(prefix + "".join(kept) + _closers(at))
        i += taken
        stack = at
        while i < len(atoms) and atoms[i] in (" ", "\n"):
            i += 1
    return parts
