"""How the simulated MAX turns ``format: "html"`` text into ``text`` + ``markup[]``.

Known tags become markup; any other tag is stripped with its content kept (MAX strips,
Telegram rejects). Offsets count characters.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

_KINDS = {"b": "strong", "strong": "strong", "i": "emphasized", "em": "emphasized",
          "del": "strikethrough", "s": "strikethrough", "ins": "underline", "u": "underline",
          "a": "link", "pre": "monospaced", "code": "monospaced", "mark": "highlighted",
          "blockquote": "quote", "h1": "heading"}


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.size = 0
        self.open: list[tuple[str, int, dict[str, Any]]] = []
        self.markup: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _KINDS:  # any other tag, <br> too, is stripped (schema: "All others")
            extra = {"url": dict(attrs).get("href") or ""} if tag == "a" else {}
            self.open.append((tag, self.size, extra))

    def handle_endtag(self, tag: str) -> None:
        for k in range(len(self.open) - 1, -1, -1):
            name, start, extra = self.open[k]
            if name == tag:
                del self.open[k]
                if self.size > start:
                    self.markup.append({"type": _KINDS[tag], "from": start,
                                        "length": self.size - start, **extra})
                return

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        self.size += len(data)


def parse_html(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and its markup, as MAX stores a received HTML message."""
    p = _Parser()
    p.feed(raw)
    p.close()
    for name, start, extra in reversed(p.open):  # unclosed tags run to the end
        if p.size > start:
            p.markup.append({"type": _KINDS[name], "from": start, "length": p.size - start,
                             **extra})
    return "".join(p.text), sorted(p.markup, key=lambda m: (m["from"], -m["length"]))


# --- format: "markdown" -----------------------------------------------------------------------
# The "Max flavored Markdown" of the schema (api-schema schema.yaml, "Text formatting"): the
# only syntax it lists. Longest marker first, so "**" is strong and not two "*".
_INLINE = (("```", "monospaced"), ("**", "strong"), ("__", "strong"),
           ("~~", "strikethrough"), ("++", "underline"), ("^^", "highlighted"),
           ("`", "monospaced"), ("*", "emphasized"), ("_", "emphasized"))
_ESCAPABLE = set("*_~+^`[]()#>\\")  # unverified: the escapes maxapi's formatter writes


def parse_markdown(raw: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and its markup for ``format: "markdown"``. Where the schema is silent
    (escapes, unclosed markers, nesting) see docs/plugins/max.md: unclosed markers stay
    literal text, code is never parsed inside, a backslash makes the next marker literal."""
    text: list[str] = []
    markup: list[dict[str, Any]] = []
    size = 0
    for n, line in enumerate(raw.split("\n")):
        if n:
            text.append("\n")
            size += 1
        kind = None
        if line.startswith("# "):
            kind, line = "heading", line[2:]
        elif line.startswith(">"):
            kind, line = "quote", line[1:].removeprefix(" ")
        start = size
        size = _inline(line, text, markup, size)
        if kind and size > start:
            markup.append({"type": kind, "from": start, "length": size - start})
    return "".join(text), sorted(markup, key=lambda m: (m["from"], -m["length"]))


def _inline(s: str, text: list[str], markup: list[dict[str, Any]], size: int) -> int:
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "\\" and i + 1 < len(s) and s[i + 1] in _ESCAPABLE:
            text.append(s[i + 1])
            size, i = size + 1, i + 2
            continue
        if ch == "[":
            link = _link(s, i)
            if link is not None:
                label, url, i = link
                start = size
                size = _inline(label, text, markup, size)
                if size > start:
                    markup.append(_link_markup(url, start, size - start))
                continue
        marker = next(((m, k) for m, k in _INLINE if s.startswith(m, i)), None)
        if marker is not None:
            mark, kind = marker
            end = s.find(mark, i + len(mark))
            if end > i + len(mark):
                inner = s[i + len(mark):end]
                start = size
                if kind == "monospaced":
                    text.append(inner)
                    size += len(inner)
                else:
                    size = _inline(inner, text, markup, size)
                markup.append({"type": kind, "from": start, "length": size - start})
                i = end + len(mark)
                continue
            text.append(mark)  # no closing marker: literal text
            size, i = size + len(mark), i + len(mark)
            continue
        text.append(ch)
        size, i = size + 1, i + 1
    return size


def _link(s: str, i: int) -> tuple[str, str, int] | None:
    close = s.find("](", i + 1)
    end = s.find(")", close + 2) if close > i else -1
    if close <= i + 1 or end < 0:
        return None
    return s[i + 1:close], s[close + 2:end], end + 1


def _link_markup(url: str, start: int, length: int) -> dict[str, Any]:
    if url.startswith("max://user/") and url[len("max://user/"):].isdigit():
        return {"type": "user_mention", "from": start, "length": length,
                "user_id": int(url[len("max://user/"):])}
    return {"type": "link", "from": start, "length": length, "url": url}
