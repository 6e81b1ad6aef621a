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
        if tag in _KINDS:
            extra = {"url": dict(attrs).get("href") or ""} if tag == "a" else {}
            self.open.append((tag, self.size, extra))
        elif tag == "br":
            self.handle_data("\n")

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
