"""Messenger HTML (the b/i/u/s/code/pre/a subset Telegram and MAX accept) as Rich markup, so
the Chats screen shows a message the way the messenger would."""

from __future__ import annotations

from html.parser import HTMLParser

from rich.errors import MarkupError
from rich.markup import escape
from rich.text import Text

# tag -> Rich style; synonyms as Telegram accepts them
_STYLES = {
    "b": "bold", "strong": "bold",
    "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline",
    "s": "strike", "strike": "strike", "del": "strike",
    "code": "bold cyan", "pre": "cyan",
    "tg-spoiler": "reverse", "blockquote": "italic dim",
}


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []  # closing markup per open tag, in order

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            # inside Rich markup a URL must not carry brackets or spaces: percent-encode them
            safe = href.replace("[", "%5B").replace("]", "%5D").replace(" ", "%20")
            style = f"underline blue link={safe}" if href else "underline"
        else:
            style = _STYLES.get(tag, "")
        if tag == "pre" and self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")
        if style:
            self.out.append(f"[{style}]")
            self.open.append("[/]")
        else:
            self.open.append("")  # unknown tag: keep its text, drop the tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "br" or not self.open:
            return
        self.out.append(self.open.pop())
        if tag == "pre":
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))

    def close(self) -> None:
        super().close()
        while self.open:  # unbalanced HTML: close what is still open
            self.out.append(self.open.pop())


def html_to_markup(html: str) -> str:
    """Rich markup for messenger HTML; text is escaped, so ``[`` in a dish name stays text."""
    conv = _Converter()
    conv.feed(html)
    conv.close()
    return "".join(conv.out)


def html_to_text(html: str) -> Text:
    """A ``rich.text.Text`` ready for a widget; HTML we cannot read is shown as it is."""
    try:
        return Text.from_markup(html_to_markup(html))
    except MarkupError:
        return Text(html)
