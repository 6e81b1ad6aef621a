"""One outgoing message drawn as the messenger shows it, with its delivery state."""

from __future__ import annotations

from kassa.api.records import OutboxMessage
from rich.console import Group
from rich.panel import Panel
from rich.text import Text
from textual.widgets import ListItem, Static

from kassa_console.i18n import moment, t
from kassa_console.markup import html_to_text

STATUS_STYLE = {"pending": "yellow", "sent": "green", "dead": "bold red", "merged": "dim"}


def render_message(msg: OutboxMessage, locale: str, *, show_chat: bool = False) -> Panel:
    body: list[Text] = []
    if msg.text.strip():
        body.append(html_to_text(msg.text))
    elif msg.kind == "report" and not msg.attachments:
        # a report is built when it is sent: the queue holds no text to show
        key = "msg.report_sent" if msg.status == "sent" else "msg.report_later"
        body.append(Text(t(key, locale), style="italic dim"))
    for row in msg.buttons:
        body.append(Text("  ".join(f"[ {b.text} ]" for b in row), style="bold blue"))
    for att in msg.attachments:
        body.append(Text(f"📎 {att.filename}", style="italic"))
    state = Text(t(f"status.{msg.status}", locale), style=STATUS_STYLE.get(msg.status, ""))
    kind = t(f"msgkind.{msg.kind}", locale)
    kind = msg.kind if kind.startswith("msgkind.") else kind
    state.append(f"  {moment(msg.sent_at or msg.created_at)}  #{msg.id}  {kind}", style="dim")
    if msg.attempts > 1 or msg.status == "dead":
        state.append("  " + t("chat.attempts", locale, count=msg.attempts), style="dim")
    body.append(state)
    if msg.last_error and msg.status != "sent":
        body.append(Text(t("chat.reason", locale, reason=msg.last_error), style="red"))
    title = f"{msg.channel}:{msg.chat_id}" if show_chat else None
    return Panel(Group(*body), title=title, title_align="left", expand=True,
                 border_style=STATUS_STYLE.get(msg.status, ""))


class MessageCard(ListItem):
    """A list entry that remembers which outbox message it shows (for retry)."""

    def __init__(self, msg: OutboxMessage, locale: str, *, show_chat: bool = False) -> None:
        super().__init__(Static(render_message(msg, locale, show_chat=show_chat)))
        self.message = msg
