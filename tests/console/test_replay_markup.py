"""Replay mode and the messenger-HTML rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kassa.codec import to_dict
from kassa.errors import UserError
from kassa_console.app import ConsoleApp
from kassa_console.markup import html_to_markup, html_to_text
from kassa_console.replay import ReplayClient, load_events
from textual.widgets import DataTable

from .conftest import sample_events, wait_for

pytestmark = pytest.mark.anyio


def recording(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(to_dict(e), ensure_ascii=False) for e in sample_events()]
    lines[2] = json.dumps({"seq": 3, "event": json.loads(lines[2])})  # `events tail` framing
    path.write_text("\n".join(reversed(lines)) + "\n\n", encoding="utf-8")
    return path


async def test_replay_derives_the_dashboard(tmp_path: Path) -> None:
    client = ReplayClient.from_file(recording(tmp_path), speed=0)
    assert [e.event.id for e in client.play(2)] == ["ev00", "ev01"]  # sorted by time
    client.play()
    sites = {s.code: s for s in await client.sites()}
    assert sites["spb2"].online is False and sites["spb2"].alerts_today == 2
    assert sites["msk1"].revenue_today == 224000 and sites["msk1"].checks_today == 2
    assert [r.event.id for r in await client.events(employee="сидоров")] == ["ev05", "ev04"]
    per_minute = await client.events_per_minute(60)
    assert sum(per_minute) == 6 and per_minute[-1] == 1
    rep = await client.report("sales_by_hour", site="msk1", period="today")
    assert rep.rows == (("09:00", 2, 224000),)


def test_bad_recording_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(to_dict(sample_events()[0])) + "\n{\"site\": 1}\n")
    with pytest.raises(UserError, match=r"bad.jsonl:2: not an event"):
        load_events(path)
    with pytest.raises(UserError, match="cannot read"):
        load_events(tmp_path / "missing.jsonl")


async def test_replay_plays_through_the_screens(tmp_path: Path) -> None:
    client = ReplayClient.from_file(recording(tmp_path), speed=1000)
    app = ConsoleApp(client, panels=[], refresh_s=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        banner = app.screen.query_one("#banner")
        assert banner.display and "-replay" in banner.classes
        await pilot.press("e")
        table = app.screen.query_one("#feed", DataTable)
        await wait_for(pilot, lambda: table.row_count == 6 and client.finished)
        await pilot.press("c")  # replay has no outbox: retry is refused politely
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.query_one("#sites", DataTable).row_count == 2)
    with pytest.raises(Exception, match=r"read-only|воспроизведения"):
        await client.retry(1)


@pytest.mark.parametrize(("html", "plain", "styles"), [
    ("<b>Отмена</b> [K1]", "Отмена [K1]", ["bold"]),
    ("<i>a <u>b</u></i> <s>c</s>", "a b c", ["italic", "underline", "strike"]),
    ("x &lt;y&gt; &amp; <code>1&nbsp;000</code>", "x <y> & 1\u00a0000", ["bold cyan"]),
    ('<a href="https://t.me/x?a=1&amp;b=[2]">ссылка</a>', "ссылка", ["underline blue"]),
    ("<pre>a\nb</pre>c", "a\nb\nc", ["cyan"]),
    ("<b>unclosed <i>tags", "unclosed tags", ["bold", "italic"]),
    ("<tg-emoji emoji-id='1'>🔥</tg-emoji> plain", "🔥 plain", []),
])
def test_messenger_html(html: str, plain: str, styles: list[str]) -> None:
    text = html_to_text(html)
    assert text.plain == plain
    assert [str(s.style).split(" link")[0] for s in text.spans] == styles


def test_markup_is_escaped() -> None:
    assert html_to_markup("[bold]not markup[/bold]") == r"\[bold]not markup\[/bold]"
